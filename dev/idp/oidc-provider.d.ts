// oidc-provider ships no types and @types/oidc-provider is not a dependency: this declares only what the dev IdP uses.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  import type { JWK } from 'jose';

  export interface AdapterPayload {
    readonly [key: string]: unknown;
    readonly accountId?: string;
    readonly grantId?: string;
    readonly uid?: string;
    readonly userCode?: string;
  }

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  /** oidc-provider awaits every hook, so a hook may answer synchronously. */
  export type Awaitable<T> = T | Promise<T>;

  export type ClaimValue = string | boolean | number | readonly string[] | undefined;

  export interface Account {
    accountId: string;
    claims(use: string, scope: string): Awaitable<Record<string, ClaimValue>>;
  }

  export interface Client {
    readonly clientId: string;
    grantTypeAllowed(grantType: string): boolean;
  }

  export interface ResourceServerInfo {
    scope: string;
    audience?: string;
    accessTokenTTL?: number;
    accessTokenFormat?: 'opaque' | 'jwt';
  }

  export interface ResourceServer {
    readonly scope: string;
  }

  /** An access token (or client-credentials token) as stored and found again. */
  export interface StoredAccessToken {
    readonly accountId?: string;
    readonly clientId: string;
    readonly scope?: string;
    /** Epoch seconds. */
    readonly exp: number;
    readonly isExpired: boolean;
    readonly grantId?: string;
    readonly jkt?: string;
  }

  /** An access token being minted by a grant. */
  export interface MintedAccessToken {
    expiresIn: number;
    readonly scope?: string;
    readonly tokenType: string;
    readonly expiration: number;
    setThumbprint(kind: 'jkt', value: string): void;
    save(): Promise<string>;
  }

  export interface AccessTokenModel {
    new (properties: { accountId: string; client: Client; gty: string; scope?: string; resourceServer: ResourceServer }): MintedAccessToken;
    find(value: string): Promise<StoredAccessToken | undefined>;
  }

  /** The errors a grant throws: each becomes the OAuth error of its name (`invalid_grant`, …). */
  export namespace errors {
    class OIDCProviderError extends Error {
      constructor(description?: string, detail?: string);
    }
    class InvalidClient extends OIDCProviderError {}
    class InvalidGrant extends OIDCProviderError {}
    class InvalidRequest extends OIDCProviderError {}
    class InvalidScope extends OIDCProviderError {}
    class InvalidTarget extends OIDCProviderError {}
  }

  export interface TokenSource {
    readonly scopes: Set<string>;
  }

  export interface IssuedToken {
    readonly accountId?: string;
    readonly kind: string;
  }

  export class Grant {
    constructor(properties: { accountId: string; clientId: string });
    readonly jti: string;
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
    static find(id: string): Promise<Grant | undefined>;
  }

  export interface OIDCContext {
    /** Records what the request produced (grants: their tokens), for events and the response. */
    entity(name: string, value: unknown): void;
    readonly route: string;
    readonly provider: Provider;
    readonly params?: Readonly<Record<string, unknown>>;
    readonly client?: Client;
    readonly session?: { readonly accountId?: string; readonly acr?: string; grantIdFor(clientId: string): string | undefined };
    readonly result?: { readonly consent?: { readonly grantId?: string }; readonly login?: unknown };
    readonly requestParamScopes: Set<string>;
    readonly requestParamOIDCScopes: Set<string>;
    readonly resourceServers: Readonly<Record<string, ResourceServer>>;
  }

  export interface KoaContextWithOIDC {
    readonly oidc: OIDCContext;
    readonly host: string;
    type: string;
    status: number;
    body: unknown;
  }

  export interface ErrorOut {
    readonly error: string;
    readonly error_description?: string;
  }

  export interface Interaction {
    readonly uid: string;
    readonly prompt: { readonly name: string };
    readonly params: Readonly<Record<string, unknown>>;
  }

  export interface InteractionResults {
    login?: { accountId: string; acr?: string; amr?: string[] };
    consent?: { grantId?: string };
  }

  export type ClientMetadata = Readonly<Record<string, unknown>> & { readonly client_id: string };

  export interface Configuration {
    adapter: (model: string) => Adapter;
    clients: readonly ClientMetadata[];
    jwks: { keys: JWK[] };
    cookies: { keys: string[] };
    claims: Record<string, readonly string[] | null>;
    scopes: string[];
    responseTypes: string[];
    conformIdTokenClaims: boolean;
    pkce: { required: () => boolean };
    features: Record<string, Record<string, unknown> & { enabled: boolean }>;
    findAccount: (ctx: KoaContextWithOIDC, sub: string) => Awaitable<Account | undefined>;
    loadExistingGrant: (ctx: KoaContextWithOIDC) => Promise<Grant | undefined>;
    issueRefreshToken: (ctx: KoaContextWithOIDC, client: Client, source: TokenSource) => Awaitable<boolean>;
    expiresWithSession: (ctx: KoaContextWithOIDC, source: TokenSource) => Awaitable<boolean>;
    rotateRefreshToken: boolean;
    extraTokenClaims: (ctx: KoaContextWithOIDC, token: IssuedToken) => Awaitable<Record<string, ClaimValue> | undefined>;
    interactions: { url: (ctx: KoaContextWithOIDC, interaction: Interaction) => Awaitable<string>; policy?: InteractionPolicy };
    acrValues: readonly string[];
    /** Extra discovery metadata. */
    discovery: Readonly<Record<string, unknown>>;
    renderError: (ctx: KoaContextWithOIDC, out: ErrorOut, error: unknown) => Awaitable<void>;
    clientBasedCORS: () => boolean;
    fetch: (url: string, options: RequestInit & { dispatcher?: unknown }) => Promise<Response>;
    ttl: Record<string, number>;
  }

  export class Check {
    constructor(reason: string, description: string, error: string, check: (ctx: KoaContextWithOIDC) => Awaitable<boolean>);
  }

  export interface InteractionPrompt {
    readonly name: string;
    readonly checks: Check[];
  }

  export type InteractionPolicy = InteractionPrompt[] & { get(name: string): InteractionPrompt | undefined };

  export const interactionPolicy: { base(): InteractionPolicy; Check: typeof Check };

  export class Provider {
    constructor(issuer: string, configuration: Configuration);
    readonly issuer: string;
    readonly Grant: typeof Grant;
    readonly AccessToken: AccessTokenModel;
    readonly ClientCredentials: { find(value: string): Promise<StoredAccessToken | undefined> };
    readonly ResourceServer: new (identifier: string, info: ResourceServerInfo) => ResourceServer;
    registerGrantType(name: string, handler: (ctx: KoaContextWithOIDC) => Promise<void>, parameters?: string[], allowedDuplicateParameters?: string[]): void;
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: InteractionResults,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    on(event: string, listener: (ctx: KoaContextWithOIDC, ...rest: unknown[]) => void): this;
  }
}

// oidc-provider's grant implementation helpers (no documented API; its own example grants use them).
declare module 'oidc-provider/lib/helpers/grants.js' {
  import type { KoaContextWithOIDC, Provider } from 'oidc-provider';

  export interface DpopProof {
    readonly thumbprint: string;
    readonly jti: string;
  }

  /** Undefined without a DPoP header; throws the OAuth error of a bad proof (or asks for a nonce). */
  export function validateDpop(provider: Provider, ctx: KoaContextWithOIDC): Promise<DpopProof | undefined>;
  export function checkDpopReplay(provider: Provider, ctx: KoaContextWithOIDC, proof: DpopProof, clientId: string, error: new (description: string) => Error): Promise<void>;
}
