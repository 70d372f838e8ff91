import * as client from 'openid-client';
import { DpopNonces, originOf } from '../dpop/dpop-nonces';
import type { DpopKey } from '../dpop/dpop-key';
import { dpopProof } from '../dpop/dpop-proof';
import type { IdpFetch } from '../tracing/tracing';

/**
 * DPoP towards the IdP (RFC 9449, OIDC_DPOP=on). openid-client signs the token and userinfo requests' proofs and retries
 * a `use_dpop_nonce` answer once; its handles keep nonces per key, so the IdP's `DPoP-Nonce` is kept here instead, for
 * every session's handle on this instance (Okta asks each new key for one otherwise).
 */
export class IdpDpop {
  readonly nonces = new DpopNonces();
  /** Every IdP call's fetch: whatever `DPoP-Nonce` the IdP sends is kept for the next proof. */
  readonly fetch: IdpFetch;

  constructor(base: IdpFetch = (url, init) => fetch(url, init)) {
    this.fetch = async (url, init) => {
      const response = await base(url, init);
      this.nonces.remember(url, response.headers.get('dpop-nonce'));
      return response;
    };
  }

  /** openid-client's handle for `key`, its proofs carrying the IdP's latest nonce. */
  async handle(config: client.Configuration, key: DpopKey): Promise<client.DPoPHandle> {
    return client.getDPoPHandle(config, await key.cryptoKeyPair(), {
      [client.modifyAssertion]: (_header, payload) => {
        const nonce = typeof payload['htu'] === 'string' ? this.nonces.get(originOf(payload['htu']) ?? '') : undefined;
        if (nonce !== undefined) payload['nonce'] = nonce;
      },
    });
  }

  /**
   * Revocation with a proof: openid-client sends none there, so this one call goes through a configuration of its own
   * whose fetch adds it; a `use_dpop_nonce` answer is retried once, with the nonce it carried.
   */
  async revoke(config: client.Configuration, auth: client.ClientAuth, key: DpopKey, token: string, hint: string): Promise<void> {
    const server = config.serverMetadata();
    const revoking = new client.Configuration(server, config.clientMetadata().client_id, undefined, auth);
    revoking.timeout = config.timeout;
    revoking[client.customFetch] = (url, init) => {
      const headers = new Headers(init.headers);
      headers.set('dpop', dpopProof(key, { htm: 'POST', url, nonce: this.nonces.get(originOf(url) ?? '') }));
      return this.fetch(url, { ...init, headers });
    };
    if (new URL(server.issuer).protocol === 'http:') client.allowInsecureRequests(revoking);
    try {
      await client.tokenRevocation(revoking, token, { token_type_hint: hint });
    } catch (error: unknown) {
      if (!(error instanceof client.ResponseBodyError) || error.error !== 'use_dpop_nonce') throw error;
      await client.tokenRevocation(revoking, token, { token_type_hint: hint });
    }
  }
}
