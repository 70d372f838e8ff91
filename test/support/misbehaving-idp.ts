import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from '../../dev/loopback-server';
import { newSigningKey, opaqueToken, signIdToken, type Fault, type SigningKeyPair } from './misbehaving-tokens';

export const ROGUE_CLIENT = { id: 'bff', secret: 'bff-secret.with-dash_and~tilde' };
/** Every client id that starts with `machine` is a machine client with this secret, so that tests need not share one. */
export const ROGUE_MACHINE = { id: 'machine', secret: 'machine-secret.v1~x' };

export interface MisbehavingIdpOptions {
  /** What the discovery document calls the issuer (default: the URL it is served from). */
  metadataIssuer?: (served: string) => string;
  accessTokenTtlSeconds?: number;
  /** `dpop_signing_alg_values_supported` in discovery (absent by default): it claims DPoP, then answers as it likes. */
  dpopAlgorithms?: string[];
}

interface PendingCode {
  subject: string;
  nonce?: string;
  challenge: string;
  redirectUri: string;
}

/**
 * A small OpenID Provider that does one thing wrong on request, for negative tests: each `faults` entry breaks that
 * grant's answers until cleared, and nothing else differs. It authenticates clients the way glewlwyd does: the Basic
 * header is compared as sent, never form-decoded. Logins are approved at once for `user-<login_hint>` (alice by default).
 */
export class MisbehavingIdp {
  faults: { code?: Fault; refresh?: Fault; clientCredentials?: Fault } = {};
  /** The ID token's `groups` claim as the IdP sends it (an array, or one string). */
  groups: unknown = ['staff'];
  /** Status of introspection answers: 200 is an active access token (token_type Bearer, as Okta says) for `user-alice`, anything else an empty body. */
  introspectionStatus = 200;
  readonly calls = { jwks: 0, refresh: 0, clientCredentials: 0, introspection: 0 };
  /** When the key set was last served (epoch ms), for tests that wait out the relying party's refetch cooldown. */
  lastJwksAt = 0;
  readonly endSessionRequests: URLSearchParams[] = [];
  /** Discovery members added to (or replacing) the usual ones, for start-up checks of what the IdP lists. */
  extraMetadata: Record<string, unknown> = {};
  private readonly keys: SigningKeyPair[];
  private readonly codes = new Map<string, PendingCode>();
  private readonly refreshTokens = new Map<string, { subject: string; nonce?: string }>();

  private constructor(
    readonly issuer: string,
    private readonly metadataIssuer: string,
    private readonly ttlSeconds: number,
    key: SigningKeyPair,
    private readonly stopServer: () => Promise<void>,
  ) {
    this.keys = [key];
  }

  static async start(options: MisbehavingIdpOptions = {}): Promise<MisbehavingIdp> {
    const started: { idp?: MisbehavingIdp } = {};
    const server = createServer((req, res) => {
      if (!started.idp) return void res.writeHead(503).end();
      started.idp.route(req, res).catch(() => res.destroy());
    });
    const port = await listenOnLoopback(server, 0);
    const issuer = `http://127.0.0.1:${port}`;
    const metadataIssuer = options.metadataIssuer?.(issuer) ?? issuer;
    started.idp = new MisbehavingIdp(issuer, metadataIssuer, options.accessTokenTtlSeconds ?? 300, await newSigningKey(), () => closeServer(server));
    if (options.dpopAlgorithms) started.idp.extraMetadata = { dpop_signing_alg_values_supported: options.dpopAlgorithms };
    return started.idp;
  }

  /** Publishes a new key beside the old one and signs with it from now on: a key rotation. */
  async rotateKey(): Promise<void> {
    this.keys.unshift(await newSigningKey());
  }

  stop(): Promise<void> {
    return this.stopServer();
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.issuer);
    const form = req.method === 'POST' ? new URLSearchParams(await bodyOf(req)) : url.searchParams;
    switch (url.pathname) {
      case '/.well-known/openid-configuration':
        return json(res, 200, this.metadata());
      case '/jwks':
        this.calls.jwks += 1;
        this.lastJwksAt = Date.now();
        return json(res, 200, { keys: this.keys.map((key) => key.publicJwk) });
      case '/authorize':
        return this.authorize(form, res);
      case '/token':
        return this.token(req, form, res);
      case '/introspect':
        this.calls.introspection += 1;
        if (this.introspectionStatus !== 200) return void res.writeHead(this.introspectionStatus).end();
        return json(res, 200, { active: true, token_type: 'Bearer', sub: 'user-alice', client_id: ROGUE_MACHINE.id, exp: Math.floor(Date.now() / 1000) + 300 });
      case '/revoke':
        return void res.writeHead(200).end();
      case '/logout':
        return this.endSession(form, res);
      default:
        return void res.writeHead(404).end();
    }
  }

  private metadata(): Record<string, unknown> {
    const at = (path: string) => `${this.issuer}${path}`;
    return {
      issuer: this.metadataIssuer,
      authorization_endpoint: at('/authorize'),
      token_endpoint: at('/token'),
      jwks_uri: at('/jwks'),
      introspection_endpoint: at('/introspect'),
      revocation_endpoint: at('/revoke'),
      end_session_endpoint: at('/logout'),
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      // A rogue OP may well claim `none`: the relying party must refuse it anyway.
      id_token_signing_alg_values_supported: ['RS256', 'none'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      code_challenge_methods_supported: ['S256'],
      ...this.extraMetadata,
    };
  }

  private authorize(query: URLSearchParams, res: ServerResponse): void {
    const redirectUri = query.get('redirect_uri') ?? '';
    const challenge = query.get('code_challenge');
    if (query.get('client_id') !== ROGUE_CLIENT.id || !challenge || query.get('code_challenge_method') !== 'S256') {
      return json(res, 400, { error: 'invalid_request' });
    }
    const code = randomBytes(16).toString('base64url');
    const nonce = query.get('nonce') ?? undefined;
    this.codes.set(code, { subject: `user-${query.get('login_hint') ?? 'alice'}`, challenge, redirectUri, ...(nonce ? { nonce } : {}) });
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    back.searchParams.set('state', query.get('state') ?? '');
    res.writeHead(302, { location: back.href }).end();
  }

  private async token(req: IncomingMessage, form: URLSearchParams, res: ServerResponse): Promise<void> {
    const client = authenticatedClient(req, form);
    if (!client) return json(res, 401, { error: 'invalid_client' });
    switch (form.get('grant_type') ?? '') {
      case 'authorization_code': {
        const pending = this.codes.get(form.get('code') ?? '');
        this.codes.delete(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        if (!pending || client !== ROGUE_CLIENT.id || s256(verifier) !== pending.challenge || form.get('redirect_uri') !== pending.redirectUri) {
          return json(res, 400, { error: 'invalid_grant' });
        }
        return this.issue(res, pending.subject, pending.nonce, this.faults.code);
      }
      case 'refresh_token': {
        this.calls.refresh += 1;
        const presented = form.get('refresh_token') ?? '';
        const grant = this.refreshTokens.get(presented);
        if (this.faults.refresh === 'empty_400' || this.faults.refresh === 'empty_403') return this.issue(res, '', undefined, this.faults.refresh);
        if (!grant) return json(res, 400, { error: 'invalid_grant' });
        this.refreshTokens.delete(presented);
        return this.issue(res, grant.subject, grant.nonce, this.faults.refresh);
      }
      case 'client_credentials':
        this.calls.clientCredentials += 1;
        if (!client.startsWith(ROGUE_MACHINE.id)) return json(res, 400, { error: 'unauthorized_client' });
        return this.issueMachineToken(res, this.faults.clientCredentials);
      default:
        return json(res, 400, { error: 'unsupported_grant_type' });
    }
  }

  private async issue(res: ServerResponse, subject: string, nonce: string | undefined, fault: Fault | undefined): Promise<void> {
    if (fault === 'empty_400' || fault === 'empty_403') return void res.writeHead(fault === 'empty_400' ? 400 : 403).end();
    const refreshToken = opaqueToken('rt');
    this.refreshTokens.set(refreshToken, { subject, ...(nonce ? { nonce } : {}) });
    const claims = { groups: this.groups, email: `${subject}@example.test` };
    const [key] = this.keys;
    if (!key) throw new Error('no signing key');
    const idToken = await signIdToken({ issuer: this.issuer, clientId: ROGUE_CLIENT.id, subject, claims, ...(nonce ? { nonce } : {}) }, key, fault);
    const answer: Record<string, unknown> = {
      access_token: opaqueToken(`at-${subject}`),
      token_type: fault === 'token_type_dpop' ? 'DPoP' : 'Bearer',
      expires_in: this.ttlSeconds,
      refresh_token: refreshToken,
      id_token: idToken,
      scope: 'openid email offline_access',
    };
    if (fault === 'no_access_token') delete answer['access_token'];
    json(res, 200, answer);
  }

  private issueMachineToken(res: ServerResponse, fault: Fault | undefined): void {
    if (fault === 'empty_400' || fault === 'empty_403') return void res.writeHead(fault === 'empty_400' ? 400 : 403).end();
    // Opaque, so that the BFF verifies it by introspection.
    json(res, 200, { access_token: opaqueToken('machine'), token_type: fault === 'token_type_dpop' ? 'DPoP' : 'bearer', expires_in: this.ttlSeconds });
  }

  /** Like glewlwyd: back to post_logout_redirect_uri only when a state came along, else its own page. */
  private endSession(query: URLSearchParams, res: ServerResponse): void {
    this.endSessionRequests.push(query);
    const target = query.get('post_logout_redirect_uri');
    const state = query.get('state');
    if (!target || !state) return void res.writeHead(200, { 'content-type': 'text/html' }).end('<p>Session closed.</p>');
    const back = new URL(target);
    back.searchParams.set('state', state);
    res.writeHead(302, { location: back.href }).end();
  }
}

/** The client id, when its Basic header (compared byte for byte, not form-decoded) or posted secret is right. */
function authenticatedClient(req: IncomingMessage, form: URLSearchParams): string | undefined {
  const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const raw = basic === undefined ? undefined : Buffer.from(basic, 'base64').toString('utf8');
  const separator = raw?.indexOf(':') ?? -1;
  const [id, secret] = raw !== undefined && separator > 0 ? [raw.slice(0, separator), raw.slice(separator + 1)] : [form.get('client_id'), form.get('client_secret')];
  if (id === ROGUE_CLIENT.id && secret === ROGUE_CLIENT.secret) return id;
  return id?.startsWith(ROGUE_MACHINE.id) && secret === ROGUE_MACHINE.secret ? id : undefined;
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}
