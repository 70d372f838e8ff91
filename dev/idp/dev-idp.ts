import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Provider, type ClientMetadata } from 'oidc-provider';
import { closeServer, listenOn } from '../loopback-server';
import { API_SCOPES, BFF_CLIENT_ID, BFF_CLIENT_SECRET, bffClient, machineClient, OIDC_SCOPES, OPAQUE_RESOURCE } from './idp-clients';
import { DevIdpCounters, INTROSPECTION_PATH, PAR_PATH, REVOCATION_PATH, TOKEN_PATH, USERINFO_PATH } from './idp-counters';
import { DEFAULT_USERS, UserDirectory, type DevIdpUser } from './idp-users';
import { handleInteraction, isInteractionPath } from './interaction-routes';
import { requestClientCredentialsToken, type TokenResponse } from './machine-token';
import { MemoryStore } from './memory-adapter';
import { providerConfig } from './provider-config';
import { generateSigningKey, signLogoutToken, type LogoutTokenClaims, type LogoutTokenOptions, type SigningKey } from './signing-keys';
import { registerTokenExchange } from './token-exchange-grant';

export interface DevIdpOptions {
  /** 0 (default) picks a free port; `restart()` reuses whatever port the first start bound. */
  port?: number;
  /** Bind address, 127.0.0.1 by default (the compose demo's container binds 0.0.0.0). */
  host?: string;
  /** Defaults to http://127.0.0.1:<port>; set it when browsers reach the IdP under another name. */
  issuer?: string;
  accessTokenTtlSeconds?: number;
  /** Artificial latency before the token endpoint answers; can be changed later through `idp.tokenDelayMs`. */
  tokenDelayMs?: number;
  /** Main client (`bff`) registration; defaults suit a BFF at http://127.0.0.1:8000. */
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  backchannelLogoutUri?: string;
  /** Extra client registrations, in oidc-provider's (snake_case) metadata format. */
  clients?: ClientMetadata[];
  /** Set false to model an IdP that never issues refresh tokens (default true). */
  issueRefreshTokens?: boolean;
  /** Users added to alice, bob and carol. */
  users?: DevIdpUser[];
  /** Set false for an IdP without RFC 8693 token exchange (default true: the grant is offered, the BFF's client has it). */
  tokenExchange?: boolean;
  /** Lifetime of exchanged tokens (default: accessTokenTtlSeconds); never longer than their subject token's. */
  exchangedTokenTtlSeconds?: number;
  /**
   * Like Okta's org authorization server: groups only at the userinfo endpoint, never in the ID token; user access
   * tokens opaque and without `aud`, the only kind oidc-provider's userinfo endpoint takes.
   */
  thinIdTokens?: boolean;
  /** DPoP proofs must carry a nonce of the IdP's (RFC 9449 §8), as Okta requires: each first proof gets `use_dpop_nonce`. */
  dpopNonces?: boolean;
  /** The main client's authentication, e.g. `{ token_endpoint_auth_method: 'private_key_jwt', jwks_uri }` (default client_secret_basic). */
  mainClientAuthentication?: Partial<Pick<ClientMetadata, 'token_endpoint_auth_method' | 'jwks' | 'jwks_uri' | 'token_endpoint_auth_signing_alg'>>;
  /** RFC 9126 pushed authorization requests: offered (default), required of every client, or not offered at all. */
  pushedAuthorizationRequests?: 'optional' | 'required' | 'off';
}

/** What the userinfo endpoint does instead of answering: names another subject, or is down. */
export type UserinfoFault = 'wrong_sub' | 'down' | undefined;

export async function startDevIdp(options: DevIdpOptions = {}): Promise<DevIdp> {
  return DevIdp.start(options);
}

/** A real, certified OpenID Provider (oidc-provider) on loopback, with controls for tests. */
export class DevIdp {
  readonly clientId = BFF_CLIENT_ID;
  readonly clientSecret = BFF_CLIENT_SECRET;
  readonly counters = new DevIdpCounters();
  /** Targets (audience or resource) the IdP refuses to exchange tokens for: `invalid_target`, the BFF's 403. */
  readonly deniedExchangeTargets = new Set<string>();
  userinfoFault: UserinfoFault;
  /** `down`: the PAR endpoint drops every connection (the rest of the IdP answers). */
  parFault: 'down' | undefined;
  private server: Server | undefined;

  private constructor(
    readonly port: number,
    private readonly host: string,
    public tokenDelayMs: number,
    private readonly provider: Provider,
    private readonly store: MemoryStore,
    private readonly users: UserDirectory,
    private readonly signingKey: SigningKey,
  ) {
    this.counters.listenTo(provider);
  }

  static async start(options: DevIdpOptions): Promise<DevIdp> {
    // The issuer names the port, so bind first and build the provider second.
    const server = createServer();
    const host = options.host ?? '127.0.0.1';
    const port = await listenOn(server, options.port ?? 0, host);
    const store = new MemoryStore();
    const users = new UserDirectory([...DEFAULT_USERS, ...(options.users ?? [])]);
    const signingKey = await generateSigningKey();
    const clients = [
      bffClient({
        redirectUris: options.redirectUris ?? ['http://127.0.0.1:8000/auth/callback'],
        postLogoutRedirectUris: options.postLogoutRedirectUris ?? ['http://127.0.0.1:8000/'],
        backchannelLogoutUri: options.backchannelLogoutUri,
        tokenExchange: options.tokenExchange ?? true,
        authentication: options.mainClientAuthentication,
      }),
      machineClient(),
      ...(options.clients ?? []),
    ];
    const config = providerConfig({
      store,
      users,
      signingKey,
      clients,
      accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 300,
      issueRefreshTokens: options.issueRefreshTokens ?? true,
      thinIdTokens: options.thinIdTokens ?? false,
      dpopNonces: options.dpopNonces ?? false,
      pushedAuthorizationRequests: options.pushedAuthorizationRequests ?? 'optional',
    });
    const provider = new Provider(options.issuer ?? `http://127.0.0.1:${port}`, config);
    const idp = new DevIdp(port, host, options.tokenDelayMs ?? 0, provider, store, users, signingKey);
    if (options.tokenExchange ?? true) idp.offerTokenExchange(options.exchangedTokenTtlSeconds ?? options.accessTokenTtlSeconds ?? 300);
    idp.serve(server);
    return idp;
  }

  get issuer(): string {
    return this.provider.issuer;
  }

  resetCounters(): void {
    this.counters.reset();
  }

  /** Closes the listener and every open socket; keys, clients, users and stored state stay for `restart()`. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeServer(server);
  }

  /** Listens again on the same port, with the same keys, sessions, grants and tokens. */
  async restart(): Promise<void> {
    await this.stop();
    const server = createServer();
    await listenOn(server, this.port, this.host);
    this.serve(server);
  }

  /** The user's groups change: later tokens and userinfo answers carry the new ones. */
  setGroupsOf(accountId: string, groups: readonly string[]): void {
    this.users.setGroupsOf(accountId, groups);
  }

  /** Ends the account's grants at the IdP: its refresh tokens then fail with invalid_grant. */
  revokeGrantsOf(accountId: string): number {
    return this.store.revokeGrantsOf(accountId);
  }

  /** A back-channel logout token for the main client, signed with the IdP's key unless told otherwise. */
  signLogoutToken(claims: LogoutTokenClaims, options?: LogoutTokenOptions): Promise<string> {
    return signLogoutToken(this.signingKey, this.issuer, this.clientId, claims, options);
  }

  /** A client_credentials grant for the `machine` client (JWT for api://default unless `resource` says otherwise). */
  issueClientCredentialsToken(scope?: string, resource?: string): Promise<TokenResponse> {
    return requestClientCredentialsToken(new URL(TOKEN_PATH, this.issuer), scope, resource);
  }

  private offerTokenExchange(ttlSeconds: number): void {
    registerTokenExchange(this.provider, {
      signingJwk: this.signingKey.privateJwk,
      mayExchange: (_clientId, target) => !this.deniedExchangeTargets.has(target),
      resourceServerInfo: (target) => ({
        scope: [...OIDC_SCOPES, ...API_SCOPES].join(' '),
        audience: target,
        accessTokenTTL: ttlSeconds,
        accessTokenFormat: target === OPAQUE_RESOURCE ? 'opaque' : 'jwt',
      }),
      onExchange: (_clientId, target) => this.counters.exchanged(target),
    });
  }

  private serve(server: Server): void {
    const provider = this.provider.callback();
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.route(req, res, provider).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(error instanceof Error ? error.message : 'internal error');
      });
    });
    this.server = server;
  }

  private async route(
    req: IncomingMessage,
    res: ServerResponse,
    provider: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  ): Promise<void> {
    const { pathname } = new URL(req.url ?? '/', this.issuer);
    if (isInteractionPath(pathname)) return handleInteraction(this.provider, this.users, req, res);
    if (pathname === TOKEN_PATH) this.counters.tokenRequests += 1;
    if (pathname === PAR_PATH) {
      this.counters.pushedAuthorizationRequests += 1;
      if (this.parFault === 'down') return void req.socket.destroy();
    }
    if (pathname === INTROSPECTION_PATH) this.counters.introspections += 1;
    if (pathname === USERINFO_PATH) {
      this.counters.userinfoRequests += 1;
      if (this.userinfoFault) return answerUserinfoFault(res, this.userinfoFault);
    }
    if (pathname === TOKEN_PATH && this.tokenDelayMs > 0) await sleep(this.tokenDelayMs);
    if (pathname === REVOCATION_PATH) {
      this.counters.revocationProofs.push(typeof req.headers.dpop === 'string' ? req.headers.dpop : undefined);
      res.on('finish', () => this.counters.revocationAnswered(res.statusCode));
    }
    return provider(req, res);
  }
}

function answerUserinfoFault(res: ServerResponse, fault: Exclude<UserinfoFault, undefined>): void {
  const [status, body] = fault === 'down' ? [503, { error: 'temporarily_unavailable' }] : [200, { sub: 'someone-else', groups: ['admins'] }];
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
