import { sha256Base64url } from '../common/sha256';

/** What a route's `token_exchange` asks the IdP for (RFC 8693 §2.1): at least one of the three. */
export interface ExchangeTarget {
  audience?: string;
  /** An absolute URI (RFC 8707). */
  resource?: string;
  /** Space-separated. */
  scope?: string;
  /**
   * Names the exchanged token in the vault and the caches: a digest of what was asked, so routes asking alike share
   * one token, and a route whose target changes never reuses a token minted for the old one.
   */
  key: string;
}

type Asked = Omit<ExchangeTarget, 'key'>;

export function exchangeTargetOf(asked: Asked): ExchangeTarget {
  const parameters = targetParameters(asked);
  const key = sha256Base64url(JSON.stringify([asked.audience ?? null, asked.resource ?? null, asked.scope ?? null])).slice(0, 22);
  return { ...parameters, key };
}

/** The request parameters of the target (RFC 8693 §2.1), the ones it has; the grant's own are the IdP call's. */
export function targetParameters({ audience, resource, scope }: Asked): Record<string, string> {
  const parameters: Record<string, string> = {};
  if (audience !== undefined) parameters['audience'] = audience;
  if (resource !== undefined) parameters['resource'] = resource;
  if (scope !== undefined) parameters['scope'] = scope;
  return parameters;
}
