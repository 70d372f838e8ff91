import type { IncomingHttpHeaders } from 'node:http';
import { Injectable } from '@nestjs/common';
import type { DpopKey } from '../../dpop/dpop-key';
import { DpopNonces } from '../../dpop/dpop-nonces';
import { dpopProof } from '../../dpop/dpop-proof';
import type { UpstreamHeaders } from './identity-headers';
import { parseChallenges } from './www-authenticate';

/** What a proof for one upstream request is made of: the same for its retry, but for the nonce. */
export interface UpstreamProof {
  key: DpopKey;
  accessToken: string;
  /** `GET` for a WebSocket handshake. */
  htm: string;
  /** The upstream URL in its http(s) form; `htu` leaves out its query. */
  url: string;
  /** Where the upstream's nonces are kept: the route's upstream origin. */
  origin: string;
}

/**
 * DPoP towards upstreams (RFC 9449 §7): a DPoP-bound token goes as `Authorization: DPoP` with a fresh proof for the
 * exact request, carrying the upstream's latest `DPoP-Nonce` (kept per upstream origin, bounded) once it sent one.
 */
@Injectable()
export class UpstreamDpop {
  private readonly nonces = new DpopNonces();

  /** Sets the proof header; `Authorization: DPoP` was set with the identity headers. */
  prove(headers: UpstreamHeaders, proof: UpstreamProof): UpstreamHeaders {
    const { key, accessToken, htm, url, origin } = proof;
    headers['dpop'] = dpopProof(key, { htm, url, accessToken, nonce: this.nonces.get(origin) });
    return headers;
  }

  /**
   * Keeps a `DPoP-Nonce` the upstream sent (RFC 9449 §8.2: on any response); true when its answer was the §9 challenge
   * `401` + `WWW-Authenticate: DPoP error="use_dpop_nonce"` with a nonce, which is worth one retry.
   */
  heard(origin: string, status: number, headers: IncomingHttpHeaders): boolean {
    const nonce = headers['dpop-nonce'];
    if (nonce === undefined || nonce === '') return false;
    this.nonces.remember(origin, nonce);
    return status === 401 && parseChallenges(headers['www-authenticate']).some((challenge) => challenge.scheme === 'dpop' && challenge.params['error'] === 'use_dpop_nonce');
  }
}
