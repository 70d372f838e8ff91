import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { HttpConfig } from '../../../config/app-config';
import { HTTP_CONFIG } from '../../../config/config.tokens';
import type { RouteDpop } from '../../forwarding/route';
import { invalidDpopProof } from './dpop-errors';
import { checkDpopProof } from './dpop-proof';
import { DpopReplayGuard } from './dpop-replay';
import { dpopDemand, refusalWhateverTheToken, type TokenScheme } from './dpop-rule';
import { requestPathOf } from './dpop-target';
import { ProofKeys } from './proof-keys';

/** A bearer caller's token as presented. */
export interface PresentedToken {
  token: string;
  scheme: TokenScheme;
}

/**
 * RFC 9449 for bearer callers, per request: the route's demand (dpopDemand), then — when a proof is due — exactly one
 * `DPoP` header, the proof's checks, and its `jti` unseen on every instance. Run after the token is verified (from
 * memory or not): a token seen before never skips its proof.
 */
@Injectable()
export class DpopGate {
  private readonly publicOrigin: string;
  private readonly keys = new ProofKeys();

  constructor(
    private readonly replay: DpopReplayGuard,
    @Inject(HTTP_CONFIG) http: HttpConfig,
  ) {
    this.publicOrigin = new URL(http.publicUrl).origin;
  }

  /** Whether a request with this token needs nothing beyond the token: the cached path may serve it. */
  needsNothingMore(mode: RouteDpop, presented: PresentedToken, boundKey: string | undefined): boolean {
    return dpopDemand(mode, presented.scheme, boundKey).kind === 'none';
  }

  /** Throws what the route refuses whatever the token is, before anyone is asked about the token. */
  refuseEarly(mode: RouteDpop, presented: PresentedToken): void {
    const refusal = refusalWhateverTheToken(mode, presented.scheme);
    if (refusal) throw refusal.error;
  }

  async check(request: IncomingMessage, mode: RouteDpop, presented: PresentedToken, boundKey: string | undefined): Promise<void> {
    const demand = dpopDemand(mode, presented.scheme, boundKey);
    if (demand.kind === 'none') return;
    if (demand.kind === 'refuse') throw demand.error;
    const proofs = dpopHeadersOf(request);
    // RFC 9449 §4.3 check 1.
    if (proofs.length !== 1) throw invalidDpopProof(proofs.length === 0 ? 'the DPoP header is missing' : 'there is more than one DPoP header');
    const proof = await checkDpopProof(proofs[0] ?? '', {
      method: request.method ?? 'GET',
      publicOrigin: this.publicOrigin,
      path: requestPathOf(request.url),
      accessToken: presented.token,
      boundKey: demand.boundKey,
      now: Date.now(),
    }, this.keys);
    if (!(await this.replay.firstUse(proof.keyThumbprint, proof.jti))) throw invalidDpopProof('its jti was used before');
  }
}

/** Every `DPoP` header line as sent (Node would join repeated ones into one value). */
function dpopHeadersOf(request: IncomingMessage): string[] {
  const proofs: string[] = [];
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]?.toLowerCase() === 'dpop') proofs.push(raw[i + 1] ?? '');
  return proofs;
}
