import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MINIMAL_ENV as valid, problemsOf as problems } from '../../test/support/config-env';
import { loadAppConfig } from './app-config';

describe('the client authentication variables', () => {
  let dir: string;
  let keyFile: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bff-client-credentials-'));
    keyFile = join(dir, 'client.pem');
    writeFileSync(keyFile, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes private_key_jwt with a key file and no OIDC_CLIENT_SECRET', () => {
    const result = loadAppConfig({ ...valid, OIDC_CLIENT_SECRET: undefined, OIDC_TOKEN_ENDPOINT_AUTH_METHOD: 'private_key_jwt', OIDC_CLIENT_PRIVATE_KEY_FILE: keyFile });
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(result.config.oidc.clientAuth).toMatchObject({ method: 'private_key_jwt', key: { type: 'EC' } });
    expect(result.config.oidc.clientKey?.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig' });
  });

  it('takes client_secret_jwt with the secret', () => {
    const result = loadAppConfig({ ...valid, OIDC_TOKEN_ENDPOINT_AUTH_METHOD: 'client_secret_jwt' });
    expect(result.ok && result.config.oidc.clientAuth).toEqual({ method: 'client_secret_jwt', secret: valid.OIDC_CLIENT_SECRET });
  });

  it('reads a key file set beside a secret method, to serve it at /auth/jwks before the switch', () => {
    const result = loadAppConfig({ ...valid, OIDC_CLIENT_PRIVATE_KEY_FILE: keyFile });
    expect(result.ok && result.config.oidc.clientAuth.method).toBe('client_secret_basic');
    expect(result.ok && result.config.oidc.clientKey?.type).toBe('EC');
  });

  it('asks for the key file with private_key_jwt, and for the secret with every other method, beside the other problems', () => {
    expect(problems(loadAppConfig({ ...valid, OIDC_CLIENT_SECRET: undefined, OIDC_TOKEN_ENDPOINT_AUTH_METHOD: 'private_key_jwt' }))).toEqual([
      'OIDC_CLIENT_PRIVATE_KEY_FILE: is required with OIDC_TOKEN_ENDPOINT_AUTH_METHOD=private_key_jwt',
    ]);
    expect(problems(loadAppConfig({ ...valid, OIDC_CLIENT_SECRET: '', OIDC_TOKEN_ENDPOINT_AUTH_METHOD: 'client_secret_jwt', PORT: 'x' }))).toEqual([
      'PORT: must be an integer',
      'OIDC_CLIENT_SECRET: is required',
    ]);
  });

  it('reports an unreadable key file as a configuration problem naming the variable', () => {
    const missing = join(dir, 'missing.pem');
    const result = loadAppConfig({ ...valid, OIDC_TOKEN_ENDPOINT_AUTH_METHOD: 'private_key_jwt', OIDC_CLIENT_PRIVATE_KEY_FILE: missing });
    expect(problems(result)).toEqual(['OIDC_CLIENT_PRIVATE_KEY_FILE: cannot be read (ENOENT)']);
  });

  it('pushes authorization requests when the IdP requires them by default, and takes on and off', () => {
    const par = (value: string | undefined) => {
      const result = loadAppConfig({ ...valid, OIDC_PAR: value });
      return result.ok ? result.config.oidc.par : result.problems;
    };
    expect(par(undefined)).toBe('auto');
    expect(par('on')).toBe('on');
    expect(par('off')).toBe('off');
    expect(par('yes')).toEqual(['OIDC_PAR: must be auto, on or off']);
  });
});
