import type { ExchangedToken, VaultContents } from '../session/session.types';

/** The token while it may still be used: until `skewMs` (TOKEN_REFRESH_SKEW) before it expires. */
export function reusable(token: ExchangedToken | undefined, skewMs: number, now = Date.now()): ExchangedToken | undefined {
  return token !== undefined && token.expiresAt - skewMs > now ? token : undefined;
}

/** The contents with `token` stored under `key`, and without the exchanged tokens no longer reusable. */
export function withExchanged(contents: VaultContents, key: string, token: ExchangedToken, skewMs: number, now = Date.now()): VaultContents {
  const kept = Object.entries(contents.exchanged ?? {}).filter(([, entry]) => reusable(entry, skewMs, now) !== undefined);
  return { ...contents, exchanged: Object.fromEntries([...kept, [key, token]]) };
}
