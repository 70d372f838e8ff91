import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAppConfig } from '../../src/config/app-config';
import { envSchema } from '../../src/config/env.schema';
import { demoBffEnv } from '../../dev/demo-settings';
import { BFF_CLIENT_ID, BFF_CLIENT_SECRET } from '../../dev/idp/idp-clients';
import { COMPOSE_FILE, loadCompose, readComposeYaml, REPO_ROOT } from './compose-file';
import { publishedPorts, type ComposeModel, type ComposeService } from './compose-model';
import { composeValidator } from './compose-schema';
import { readEnvFile } from './env-files';
import { interpolateDeep, InterpolationError } from './interpolate';

const CONTRACT_VARIABLES = new Set(Object.keys(envSchema.shape));
/** Read by docker compose for `${…}` and its own settings, never by the BFF. */
const COMPOSE_ONLY = new Set(['COMPOSE_PROJECT_NAME', 'COMPOSE_PROFILES', 'BFF_ENV_FILE', 'POSTGRES_PASSWORD', 'SPA_HOST_DIR']);
const DEMO_ENV_FILE = 'dev/compose-demo.env';

const validate = composeValidator();
const demoVariables = readEnvFile(join(REPO_ROOT, DEMO_ENV_FILE)).values;
/** `.env.example` as an operator fills it in. */
const productionVariables = { POSTGRES_PASSWORD: 'filled-in' };

function service(model: ComposeModel, name: string): ComposeService {
  const found = model.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/** The bff container's environment: its env file, overridden by `environment:` (Compose's precedence). */
function bffEnvironment(model: ComposeModel): Record<string, string> {
  const bff = service(model, 'bff');
  const files = (bff.env_file ?? []).map((file) => readEnvFile(join(REPO_ROOT, file.path)).values);
  return Object.assign({}, ...files, bff.environment) as Record<string, string>;
}

describe('docker-compose.yml', () => {
  it('follows the Compose Specification, in production and demo form', () => {
    expect(() => loadCompose(validate, productionVariables)).not.toThrow();
    expect(() => loadCompose(validate, demoVariables)).not.toThrow();
  });

  it('is checked by a schema that rejects what Compose would reject', () => {
    const document = interpolateDeep(readComposeYaml(), demoVariables) as { services: Record<string, Record<string, unknown>> };
    document.services['bff']['enviroment'] = { PORT: '8000' };
    document.services['redis']['ports'] = { published: 8000 };
    expect(validate(document).join('\n')).toMatch(/must NOT have additional properties.*enviroment/);
    expect(validate(document).join('\n')).toMatch(/\/services\/redis\/ports must be array/);
  });

  it('refuses to start without a Postgres password rather than using a default one', () => {
    expect(() => loadCompose(validate, {})).toThrow(InterpolationError);
    expect(() => loadCompose(validate, {})).toThrow(/POSTGRES_PASSWORD/);
  });

  it('runs redis, postgres and bff always, and the IdP and demo API only under the demo profile', () => {
    const model = loadCompose(validate, productionVariables);
    expect(Object.keys(model.services).sort()).toEqual(['bff', 'idp', 'postgres', 'redis', 'upstream']);
    for (const name of ['redis', 'postgres', 'bff']) expect(service(model, name).profiles).toBeUndefined();
    for (const name of ['idp', 'upstream']) expect(service(model, name).profiles).toEqual(['demo']);
  });

  it('names only services that exist, and keeps data in declared named volumes', () => {
    const model = loadCompose(validate, productionVariables);
    for (const [name, entry] of Object.entries(model.services)) {
      for (const dependency of Object.keys(entry.depends_on ?? {})) {
        expect({ service: name, dependsOn: dependency, exists: dependency in model.services }).toMatchObject({ exists: true });
      }
    }
    const bff = service(model, 'bff');
    expect(bff.depends_on?.['redis']?.condition).toBe('service_healthy');
    expect(bff.depends_on?.['postgres']?.condition).toBe('service_healthy');
    expect(service(model, 'postgres').volumes).toContain('postgres-data:/var/lib/postgresql/data');
    expect(service(model, 'redis').volumes).toContain('redis-data:/data');
    expect(Object.keys(model.volumes ?? {}).sort()).toEqual(['postgres-data', 'redis-data']);
  });

  it('sets only contract variables on the bff, and builds it from the Dockerfile runtime stage', () => {
    const model = loadCompose(validate, productionVariables);
    const bff = service(model, 'bff');
    for (const name of Object.keys(bff.environment ?? {})) expect({ name, contract: CONTRACT_VARIABLES.has(name) }).toEqual({ name, contract: true });
    expect(bff.build).toEqual({ context: '.', target: 'runtime' });
    expect(bff.env_file).toEqual([{ path: '.env', required: true }]);
  });

  it('publishes PORT and ADMIN_PORT as the container listens on them, the admin port on loopback only', () => {
    const model = loadCompose(validate, productionVariables);
    const bff = service(model, 'bff');
    const env = bff.environment ?? {};
    expect(env['PORT']).toBe('8000');
    expect(env['ADMIN_PORT']).toBe('8001');
    expect(publishedPorts(bff)).toEqual([
      { hostIp: undefined, host: 8000, container: Number(env['PORT']) },
      { hostIp: '127.0.0.1', host: 8001, container: Number(env['ADMIN_PORT']) },
    ]);
    expect(env['REDIS_URL']).toBe('redis://redis:6379');
    expect(new URL(env['DATABASE_URL'] ?? '').host).toBe('postgres:5432');
  });

  it('configures a demo BFF that passes the real configuration check', () => {
    const model = loadCompose(validate, demoVariables);
    expect(service(model, 'bff').env_file).toEqual([{ path: DEMO_ENV_FILE, required: true }]);
    const env = bffEnvironment(model);
    for (const name of Object.keys(env)) {
      expect({ name, known: CONTRACT_VARIABLES.has(name) || COMPOSE_ONLY.has(name) }).toEqual({ name, known: true });
    }
    const loaded = loadAppConfig(env);
    expect(loaded.ok ? [] : loaded.problems).toEqual([]);
  });

  it('wires the demo services to each other exactly as `npm run demo` does', () => {
    const model = loadCompose(validate, demoVariables);
    const env = bffEnvironment(model);
    const idp = service(model, 'idp');
    const upstream = service(model, 'upstream');
    const issuer = new URL(env['OIDC_ISSUER'] ?? '');
    const upstreamUrl = new URL(env['UPSTREAM_URL'] ?? '');

    expect(idp.environment?.['IDP_ISSUER']).toBe(issuer.origin);
    expect(idp.networks?.['default']?.aliases).toContain(issuer.hostname);
    expect(publishedPorts(idp)).toEqual([{ hostIp: '127.0.0.1', host: Number(issuer.port), container: Number(idp.environment?.['IDP_PORT']) }]);
    expect(idp.environment?.['BFF_PUBLIC_URL']).toBe(env['PUBLIC_URL']);
    expect(new URL(env['PUBLIC_URL'] ?? '').port).toBe(String(publishedPorts(service(model, 'bff'))[0]?.host));
    expect(idp.environment?.['BFF_INTERNAL_URL']).toBe(`http://bff:${env['PORT']}`);
    expect(upstreamUrl.hostname in model.services).toBe(true);
    expect(upstreamUrl.port).toBe(upstream.environment?.['UPSTREAM_PORT']);

    const expected = demoBffEnv({
      publicUrl: env['PUBLIC_URL'] ?? '',
      issuer: issuer.origin,
      clientId: BFF_CLIENT_ID,
      clientSecret: BFF_CLIENT_SECRET,
      upstreamUrl: upstreamUrl.origin,
      spaDir: '/srv/spa',
    });
    expect(env).toMatchObject(expected);
  });

  it('mounts the SPA where SPA_DIR points, from a directory holding index.html', () => {
    const model = loadCompose(validate, demoVariables);
    const [source = '', target, mode] = (service(model, 'bff').volumes ?? [])[0]?.split(':') ?? [];
    expect(target).toBe(bffEnvironment(model)['SPA_DIR']);
    expect(mode).toBe('ro');
    expect(existsSync(join(REPO_ROOT, source, 'index.html'))).toBe(true);
  });

  it('is a project of its own in demo form, so the demo and production never share containers or volumes', () => {
    const model = loadCompose(validate, productionVariables);
    const demoProject = demoVariables['COMPOSE_PROJECT_NAME'];
    expect(demoProject).toMatch(/^[a-z0-9][a-z0-9_-]*$/);
    expect(demoProject).not.toBe(model.name);
    const example = readEnvFile(join(REPO_ROOT, '.env.example'));
    expect([...Object.keys(example.values), ...example.documented]).not.toContain('COMPOSE_PROJECT_NAME');
  });

  it('builds the demo image once: one service builds the demo stage, the others run its image', () => {
    const model = loadCompose(validate, demoVariables);
    const builders = Object.entries(model.services).filter(([, entry]) => entry.build?.target === 'demo');
    expect(builders.map(([name]) => name)).toEqual(['idp']);
    const image = service(model, 'idp').image;
    expect(image).toBeDefined();
    const upstream = service(model, 'upstream');
    expect(upstream.image).toBe(image);
    expect(upstream.build).toBeUndefined();
    expect(service(model, 'idp').build).toEqual({ context: '.', target: 'demo' });
  });

  it('states the Compose version its features need, in the file and in the README', () => {
    const model = loadCompose(validate, demoVariables);
    const services = Object.values(model.services);
    // The Compose releases that first accepted each long form used here.
    const minors = [
      services.some((entry) => entry.env_file?.some((file) => 'required' in file)) ? 24 : 0,
      services.some((entry) => Object.values(entry.depends_on ?? {}).some((dependency) => 'required' in dependency)) ? 20 : 0,
    ];
    const minimum = `2.${Math.max(...minors)}`;
    expect(readFileSync(COMPOSE_FILE, 'utf8')).toContain(`Docker Compose v${minimum} or later`);
    expect(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')).toContain(`Docker Compose v${minimum} or later`);
  });

  it('runs the demo services from compiled files that exist as sources, in the image of the Dockerfile demo stage', () => {
    const model = loadCompose(validate, demoVariables);
    for (const name of ['idp', 'upstream']) {
      const entry = service(model, name);
      expect(entry.image).toBe('bff-vault-demo:local');
      const [program, script = ''] = entry.command ?? [];
      expect(program).toBe('node');
      const source = script.replace(/^\.dev-build\//, '').replace(/\.js$/, '.ts');
      expect({ script, source, exists: existsSync(join(REPO_ROOT, source)) }).toMatchObject({ exists: true });
    }
  });
});

describe('.env.example', () => {
  const example = readEnvFile(join(REPO_ROOT, '.env.example'));
  const listed = [...Object.keys(example.values), ...example.documented];

  it('documents every variable of the configuration schema', () => {
    const missing = [...CONTRACT_VARIABLES].filter((name) => !listed.includes(name));
    expect(missing).toEqual([]);
  });

  it('names nothing but contract variables and the compose-only ones', () => {
    const unknown = listed.filter((name) => !CONTRACT_VARIABLES.has(name) && !COMPOSE_ONLY.has(name));
    expect(unknown).toEqual([]);
  });

  it('leaves exactly the required variables blank, and sets no value at all', () => {
    // Those an empty environment lacks: OIDC_CLIENT_SECRET too, required with every method but private_key_jwt.
    const result = loadAppConfig({});
    const required = (result.ok ? [] : result.problems).flatMap((problem) => (problem.endsWith(': is required') ? [problem.split(':')[0] ?? ''] : []));
    expect(Object.keys(example.values).sort()).toEqual([...required, 'POSTGRES_PASSWORD'].sort());
    for (const value of Object.values(example.values)) expect(value).toBe('');
  });
});
