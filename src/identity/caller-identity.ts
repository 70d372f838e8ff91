/** A consumer as the rest of the BFF knows it: in the vault, in identity headers, in `/auth/user`. */
export interface ConsumerIdentity {
  id: string;
  username: string | null;
  custom_id: string | null;
}

/**
 * Who is calling, whatever the credential — a browser session, a bearer token, a client-credentials exchange: what the
 * upstream is told and what a route's rules are checked against. Built by `deriveCallerIdentity` alone; every field
 * is required (what is absent is written `undefined`), so a new field is a compile error wherever one is built.
 */
export interface CallerIdentity {
  consumer: ConsumerIdentity | null;
  /** The consumer is ANONYMOUS_CONSUMER, injected because the identity maps to none (Kong's `X-Anonymous-Consumer`). */
  anonymous: boolean;
  /** The consumer claim's value (`X-Credential-Identifier`). */
  credential: string | undefined;
  groups: readonly string[];
  /** The access token's scopes and audiences: a session's change with each refresh. */
  scopes: readonly string[];
  audiences: readonly string[];
  /** How the user authenticated (RFC 9470): `acr`, and `auth_time` in epoch seconds. */
  acr: string | undefined;
  authTime: number | undefined;
  /** Only the claims UPSTREAM_HEADERS injects. */
  headerClaims: Readonly<Record<string, unknown>>;
}

/** What the consumer rules decide about an identity (consumer-mapping.service.ts). */
export type ConsumerMapping = Pick<CallerIdentity, 'consumer' | 'credential' | 'anonymous'>;

/** What the access token says of itself. */
export type AccessTokenFacts = Pick<CallerIdentity, 'scopes' | 'audiences'>;
