import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadAppConfig } from '../../src/config/app-config';
import { envSchema } from '../../src/config/env.schema';
import { loadRoutes } from '../../src/proxy/forwarding/load-routes';
import { startLoginStack, type LoginStack } from '../support/login-stack';
import { TEST_ADMIN_TOKEN } from '../support/test-env';
import { waitFor } from '../support/wait-for';
import { REPO_ROOT } from './compose-file';
import { kubectlKustomize, schemaProblems, unknownFieldProblems } from './kubernetes-checks';
import { isRecord, renderKustomization, type K8sObject } from './kustomize';

const KUSTOMIZATIONS = ['base', 'overlays/multi-replica', 'overlays/sidecar'] as const;
const CONFIG_VARIABLES = new Set(Object.keys(envSchema.shape));
const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

const rendered = Object.fromEntries(KUSTOMIZATIONS.map((name) => [name, renderKustomization(join(REPO_ROOT, 'deploy', 'kubernetes', name))])) as Record<
  (typeof KUSTOMIZATIONS)[number],
  K8sObject[]
>;

/** The README's `kubectl create secret generic bff-vault …` command: the keys it puts in the Secret. */
function secretKeysOfReadme(): string[] {
  const command = /kubectl create secret generic bff-vault((?:[^\n]*\\\n)*[^\n]*)/.exec(README)?.[1] ?? '';
  return [...command.matchAll(/--from-literal=([A-Z0-9_]+)=/g)].map(([, key = '']) => key);
}

function only(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((object) => object.kind === kind && (name === undefined || object.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0];
}

/** A path into a rendered object (tests read what they assert, and fail on a wrong shape). */
function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const step of path) current = typeof step === 'number' ? (Array.isArray(current) ? current[step] : undefined) : isRecord(current) ? current[step] : undefined;
  return current;
}

function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function podSpec(objects: K8sObject[]): Record<string, unknown> {
  const spec = at(only(objects, 'Deployment'), 'spec', 'template', 'spec');
  if (!isRecord(spec)) throw new Error('the Deployment has no pod spec');
  return spec;
}

function bffContainer(objects: K8sObject[]): Record<string, unknown> {
  const found = records(podSpec(objects)['containers']).find((container) => container['name'] === 'bff');
  if (!found) throw new Error('no bff container');
  return found;
}

/** The BFF's environment as the pod gets it: its ConfigMaps and Secrets by envFrom, then its own env entries. */
function bffEnvironment(objects: K8sObject[]): { configured: Record<string, string>; fromSecret: string[] } {
  const configured: Record<string, string> = {};
  const fromSecret: string[] = [];
  const container = bffContainer(objects);
  for (const source of records(container['envFrom'])) {
    const configMap = at(source, 'configMapRef', 'name');
    if (typeof configMap === 'string') Object.assign(configured, at(only(objects, 'ConfigMap', configMap), 'data'));
    if (typeof at(source, 'secretRef', 'name') === 'string') fromSecret.push(...secretKeysOfReadme());
  }
  for (const entry of records(container['env'])) {
    if (typeof entry['name'] === 'string') configured[entry['name']] = typeof entry['value'] === 'string' ? entry['value'] : 'from-elsewhere';
  }
  return { configured, fromSecret };
}

function matches(selector: unknown, labels: unknown): boolean {
  return isRecord(selector) && isRecord(labels) && Object.entries(selector).every(([key, value]) => labels[key] === value);
}

describe.each(KUSTOMIZATIONS)('deploy/kubernetes/%s', (name) => {
  const objects = rendered[name];

  it('renders as kubectl kustomize does, where kubectl is installed', () => {
    const kubectl = kubectlKustomize(join(REPO_ROOT, 'deploy', 'kubernetes', name));
    if (kubectl === undefined) return;
    const key = (object: K8sObject) => `${object.kind}/${object.metadata.name}`;
    const theirs = parseAllDocuments(kubectl).map((document) => document.toJS() as K8sObject);
    expect([...theirs].sort((a, b) => key(a).localeCompare(key(b)))).toEqual([...objects].sort((a, b) => key(a).localeCompare(key(b))));
  });

  it('is valid against the Kubernetes API schemas, and uses no field the API does not know', () => {
    const problems = schemaProblems(objects);
    expect(objects.map((object, index) => [`${object.kind}/${object.metadata.name}`, problems[index]])).toEqual(
      objects.map((object) => [`${object.kind}/${object.metadata.name}`, []]),
    );
    expect(unknownFieldProblems(objects)).toEqual([]);
  });

  it('sets only variables of the BFF\'s configuration, which together with the Secret pass its configuration check', () => {
    const { configured, fromSecret } = bffEnvironment(objects);
    expect([...Object.keys(configured), ...fromSecret].filter((variable) => !CONFIG_VARIABLES.has(variable))).toEqual([]);
    const secrets: Record<string, string> = {
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      TOKEN_ENCRYPTION_KEYS: Buffer.alloc(32, 7).toString('base64'),
      OIDC_CLIENT_SECRET: 'a-secret',
      DATABASE_URL: 'postgres://bff:pw@postgres:5432/bff',
      REDIS_URL: 'redis://:pw@redis:6379',
    };
    expect(Object.keys(secrets).sort()).toEqual([...fromSecret].sort());
    const result = loadAppConfig({ ...configured, ...secrets, ROUTES_FILE: undefined });
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it('runs every container as non-root on a read-only root filesystem, without privileges or a service-account token', () => {
    const spec = podSpec(objects);
    expect(spec['automountServiceAccountToken']).toBe(false);
    for (const container of records(spec['containers'])) {
      const context = container['securityContext'];
      expect([container['name'], at(context, 'runAsNonRoot') ?? at(spec, 'securityContext', 'runAsNonRoot')]).toEqual([container['name'], true]);
      expect([container['name'], at(context, 'readOnlyRootFilesystem'), at(context, 'allowPrivilegeEscalation'), at(context, 'capabilities', 'drop')]).toEqual([
        container['name'],
        true,
        false,
        ['ALL'],
      ]);
      expect([container['name'], at(container, 'resources', 'requests', 'memory'), typeof at(container, 'resources', 'limits', 'memory')]).toEqual([
        container['name'],
        expect.any(String),
        'string',
      ]);
    }
  });

  it('checks liveness on /healthz and readiness on /readyz, and sizes the BFF from the README\'s measured footprint', () => {
    const bff = bffContainer(objects);
    const ports = records(bff['ports']).map((port) => port['name']);
    expect(at(bff, 'livenessProbe', 'httpGet')).toEqual({ path: '/healthz', port: 'admin' });
    expect(at(bff, 'startupProbe', 'httpGet')).toEqual({ path: '/healthz', port: 'admin' });
    expect(String(at(bff, 'readinessProbe', 'exec', 'command', 2))).toContain("'/readyz'");
    expect(ports).toEqual(['http', 'admin']);
    const perProcess = /Recommended container memory: (\d+) MiB per process/.exec(README)?.[1];
    expect(at(bff, 'resources', 'requests', 'memory')).toBe(`${perProcess}Mi`);
    expect(Number.parseInt(String(at(bff, 'resources', 'limits', 'memory')), 10)).toBeGreaterThan(Number(perProcess));
    expect(at(only(objects, 'ConfigMap', 'bff-vault'), 'data', 'ADMIN_HOST')).toBe('0.0.0.0');
  });

  it('points its Services, PodDisruptionBudget and NetworkPolicy at the pods and ports that exist', () => {
    const labels = at(only(objects, 'Deployment'), 'spec', 'template', 'metadata', 'labels');
    const ports = records(bffContainer(objects)['ports']).map((port) => port['name']);
    for (const service of objects.filter((object) => object.kind === 'Service')) {
      expect([service.metadata.name, matches(at(service, 'spec', 'selector'), labels)]).toEqual([service.metadata.name, true]);
      for (const port of records(at(service, 'spec', 'ports'))) expect(ports).toContain(port['targetPort']);
    }
    expect(matches(at(only(objects, 'PodDisruptionBudget'), 'spec', 'selector', 'matchLabels'), labels)).toBe(true);
    expect(matches(at(only(objects, 'NetworkPolicy'), 'spec', 'podSelector', 'matchLabels'), labels)).toBe(true);
    const allowed = records(at(only(objects, 'NetworkPolicy'), 'spec', 'ingress')).flatMap((rule) => records(rule['ports']).map((port) => port['port']));
    expect(allowed.sort()).toEqual(['admin', 'http']);
  });
});

describe('the overlays', () => {
  it('multi-replica: two or more replicas that share Redis through Sentinel, and evictions that leave some serving', () => {
    const objects = rendered['overlays/multi-replica'];
    const replicas = Number(at(only(objects, 'Deployment'), 'spec', 'replicas'));
    expect(replicas).toBeGreaterThanOrEqual(2);
    const data = at(only(objects, 'ConfigMap', 'bff-vault'), 'data');
    expect(at(data, 'REDIS_SENTINELS')).toMatch(/^[^\s:,]+:\d+(,[^\s:,]+:\d+)+$/);
    expect(at(data, 'REDIS_SENTINEL_NAME')).toEqual(expect.any(String));
    const pdb = only(objects, 'PodDisruptionBudget');
    expect(at(pdb, 'spec', 'maxUnavailable')).toBeUndefined();
    expect(Number(at(pdb, 'spec', 'minAvailable'))).toBeGreaterThanOrEqual(1);
    expect(Number(at(pdb, 'spec', 'minAvailable'))).toBeLessThan(replicas);
  });

  it('sidecar: the BFF beside the SPA\'s web server in one pod, with a routes file that loads and sends / to it', () => {
    const objects = rendered['overlays/sidecar'];
    expect(records(podSpec(objects)['containers']).map((container) => container['name'])).toEqual(['bff', 'spa']);
    const routesFile = bffEnvironment(objects).configured['ROUTES_FILE'] ?? '';
    const mount = records(bffContainer(objects)['volumeMounts']).find((entry) => routesFile.startsWith(`${String(entry['mountPath'])}/`));
    const volume = records(podSpec(objects)['volumes']).find((entry) => entry['name'] === mount?.['name']);
    const configMap = only(objects, 'ConfigMap', String(at(volume, 'configMap', 'name')));
    const key = routesFile.slice(String(mount?.['mountPath']).length + 1);
    const dir = mkdtempSync(join(tmpdir(), 'bff-k8s-routes-'));
    try {
      const file = join(dir, key);
      writeFileSync(file, String(at(configMap, 'data', key)));
      const loaded = loadRoutes({ routesFile: file, upstreamUrl: bffEnvironment(objects).configured['UPSTREAM_URL'] });
      expect(loaded.ok ? loaded.routes.map((route) => [route.path, route.origin, route.auth]) : loaded.problems).toEqual([
        ['/api', 'http://orders.default.svc.cluster.local:8080', 'session'],
        ['/', 'http://127.0.0.1:8080', 'none'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const spaPort = records(records(podSpec(objects)['containers'])[1]?.['ports'])[0]?.['containerPort'];
    expect(spaPort).toBe(8080);
  });
});

describe("the readiness probe's command", () => {
  let stack: LoginStack;

  beforeAll(async () => {
    stack = await startLoginStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** The exec probe as the kubelet runs it in the container: its command, with the container's ADMIN_PORT and ADMIN_TOKEN. */
  function probe(): Promise<number | null> {
    const [program, ...args] = at(bffContainer(rendered.base), 'readinessProbe', 'exec', 'command') as string[];
    expect(program).toBe('node');
    const child = spawn(process.execPath, args, {
      env: { ADMIN_PORT: new URL(stack.app.adminUrl).port, ADMIN_TOKEN: TEST_ADMIN_TOKEN },
      stdio: 'ignore',
    });
    return new Promise((resolve) => child.once('exit', resolve));
  }

  it('exits 0 while the BFF is ready, and 1 once its IdP is down', async () => {
    expect(await probe()).toBe(0);
    await stack.idp.stop();
    try {
      await waitFor(async () => (await stack.app.admin('/readyz')).status, (status) => status === 503, { what: '/readyz to notice the IdP is down' });
      expect(await probe()).toBe(1);
    } finally {
      await stack.idp.restart();
    }
  });
});

describe('the checks themselves', () => {
  const deployment = (container: Record<string, unknown>, replicas: unknown = 1): K8sObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'probe' },
    spec: { replicas, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [container] } } },
  });

  it('refuse a field the API does not know and a value of the wrong type', () => {
    expect(unknownFieldProblems([deployment({ name: 'x', image: 'x', readinesProbe: { httpGet: { path: '/', port: 80 } } })]).join('\n')).toContain(
      'readinesProbe',
    );
    expect(schemaProblems([deployment({ name: 'x', image: 'x' }, 'three')])[0]).toEqual([expect.stringContaining('replicas') as unknown]);
    expect(schemaProblems([deployment({ name: 'x', image: 'x' })])).toEqual([[]]);
  });

  it('refuse a kustomization that asks for what the renderer does not do', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bff-kustomize-'));
    try {
      writeFileSync(join(dir, 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\nnamePrefix: x-\n');
      expect(() => renderKustomization(dir)).toThrow('"namePrefix" is not rendered');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
