import type { AppError } from '../../../common/app.error';
import type { RouteDpop } from '../../forwarding/route';
import { boundTokenNotAccepted, dpopNotAccepted, dpopTokenError } from './dpop-errors';

/** How a bearer caller's `Authorization` named its token: `Bearer` (RFC 6750) or `DPoP` (RFC 9449 §7.1). */
export type TokenScheme = 'bearer' | 'dpop';

/** What a route asks of a token presented one way: nothing more, a proof by its bound key, or a refusal. */
export type DpopDemand = { kind: 'none' } | { kind: 'proof'; boundKey: string } | Refusal;
type Refusal = { kind: 'refuse'; error: AppError };

const NONE: DpopDemand = { kind: 'none' };
const OFF_REFUSAL: Refusal = { kind: 'refuse', error: dpopNotAccepted() };
const OFF_BOUND_REFUSAL: Refusal = { kind: 'refuse', error: boundTokenNotAccepted() };
const REQUIRED_REFUSAL = refuse('this route requires a DPoP-bound token, sent with the DPoP scheme and a proof');

/**
 * The one rule of the route option `dpop`, for every kind of bearer token (local JWT, introspected, extra issuer) and
 * every request (HTTP or WebSocket handshake), cached or not. `boundKey` is the token's `cnf.jkt`.
 * - `off`: the DPoP scheme is refused; an unbound Bearer token is a Bearer token, a bound one is refused (RFC 9449
 *   §7.2: a DPoP-aware resource server never takes a bound token as a bearer token — else one copied from an
 *   upstream's log would work here without its key).
 * - `optional`: a bound token needs the DPoP scheme and a proof (RFC 9449 §7.2), an unbound one is a Bearer token.
 * - `required`: every token is bound and proven.
 */
export function dpopDemand(mode: RouteDpop, scheme: TokenScheme, boundKey: string | undefined): DpopDemand {
  const anyway = refusalWhateverTheToken(mode, scheme);
  if (anyway) return anyway;
  if (mode === 'off') return boundKey === undefined ? NONE : OFF_BOUND_REFUSAL;
  if (scheme === 'dpop') return boundKey === undefined ? refuse('it is not DPoP-bound') : { kind: 'proof', boundKey };
  return boundKey === undefined ? NONE : refuse('it is DPoP-bound and must be sent with the DPoP scheme and a proof');
}

/** What no token could make acceptable — the DPoP scheme where `dpop` is off, Bearer where it is required — so no IdP is asked. */
export function refusalWhateverTheToken(mode: RouteDpop, scheme: TokenScheme): Refusal | undefined {
  if (mode === 'off' && scheme === 'dpop') return OFF_REFUSAL;
  if (mode === 'required' && scheme === 'bearer') return REQUIRED_REFUSAL;
  return undefined;
}

function refuse(reason: string): Refusal {
  return { kind: 'refuse', error: dpopTokenError(reason) };
}
