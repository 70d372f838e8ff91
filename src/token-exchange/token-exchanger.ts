import { Injectable } from '@nestjs/common';
import { BoundedCache } from '../common/bounded-cache';
import { sha256Base64url } from '../common/sha256';
import type { OpenSession } from '../session/session-gate';
import type { ExchangedToken } from '../session/session.types';
import type { DpopKey } from '../dpop/dpop-key';
import { TokenExchangeDenied } from './exchange-failure';
import type { ExchangeTarget } from './exchange-target';
import { SessionExchanges } from './session-exchanges';
import { TokenExchanges } from './token-exchanges';

/** Whose access token is exchanged: a session's, or a bearer caller's own (or its client-credentials grant's). */
export type ExchangeSubject = { kind: 'session'; session: OpenSession } | { kind: 'token'; bearer: string; expiresAt: number; dpopKey?: DpopKey };

const MAX_REMEMBERED_REFUSALS = 10_000;
/** A refusal is answered from memory this long: a caller retrying a route it may not use costs no IdP call each time. */
const REFUSAL_MEMORY_MS = 10_000;

/**
 * RFC 8693 for routes with `token_exchange`: the caller's access token for one minted for the route's upstream (its
 * audience, the least scope), so no upstream receives a token it could replay against another. `cached` is the hot
 * path's, without I/O; `exchange` makes (or joins) the one exchange per caller and route.
 */
@Injectable()
export class TokenExchanger {
  private readonly refusals = new BoundedCache<TokenExchangeDenied>(MAX_REMEMBERED_REFUSALS);

  constructor(
    private readonly sessions: SessionExchanges,
    private readonly tokens: TokenExchanges,
  ) {}

  cached(subject: ExchangeSubject, target: ExchangeTarget): ExchangedToken | undefined {
    return subject.kind === 'session' ? this.sessions.cached(subject.session, target) : this.tokens.cached(tokenSubject(subject), target);
  }

  exchange(subject: ExchangeSubject, target: ExchangeTarget): Promise<ExchangedToken> {
    const key = refusalKey(subject, target);
    const refused = this.refusals.get(key);
    if (refused) return Promise.reject(refused);
    const exchanged = subject.kind === 'session' ? this.sessions.exchange(subject.session, target) : this.tokens.exchange(tokenSubject(subject), target);
    return exchanged.catch((error: unknown) => {
      if (error instanceof TokenExchangeDenied) this.refusals.set(key, error, Date.now() + REFUSAL_MEMORY_MS);
      throw error;
    });
  }
}

function tokenSubject(subject: Extract<ExchangeSubject, { kind: 'token' }>) {
  return { token: subject.bearer, expiresAt: subject.expiresAt, dpopKey: subject.dpopKey };
}

function refusalKey(subject: ExchangeSubject, target: ExchangeTarget): string {
  const whose = subject.kind === 'session' ? `s:${subject.session.session.keyHash}` : `t:${sha256Base64url(subject.bearer)}`;
  return `${whose}:${target.key}`;
}
