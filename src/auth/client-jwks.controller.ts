import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { AppError } from '../common/app.error';
import { AUTH_PATHS } from '../common/public-surface';
import type { OidcConfig } from '../config/app-config';
import { OIDC_CONFIG } from '../config/config.tokens';
import type { PublicClientJwk } from '../config/client-key';
import { assertionAlgorithm } from '../oidc/assertion-algorithm';
import { OidcClient } from '../oidc/oidc.client';

/** A day's worth of IdPs refetching would be wasteful, a stale key after a rotation worse: five minutes. */
const CACHE_CONTROL = 'public, max-age=300';

/**
 * `GET /auth/jwks`: the public half of OIDC_CLIENT_PRIVATE_KEY_FILE, for IdPs that fetch a private_key_jwt client's keys
 * from a URL (Okta, oidc-provider's `jwks_uri`). Never a private member: the JWK is built from the public key alone.
 */
@Controller()
export class ClientJwksController {
  constructor(
    private readonly oidc: OidcClient,
    @Inject(OIDC_CONFIG) private readonly settings: OidcConfig,
  ) {}

  @Get(AUTH_PATHS.jwks)
  jwks(@Res({ passthrough: true }) response: Response): { keys: PublicClientJwk[] } {
    const key = this.settings.clientKey;
    if (!key) throw new AppError(404, 'not_found', 'No client key is configured (OIDC_CLIENT_PRIVATE_KEY_FILE).');
    // The algorithm the assertions are signed with, which depends on what the IdP lists (the key type's usual one until
    // discovery succeeds); never a call to the IdP for an anonymous request.
    const alg = assertionAlgorithm(key, this.oidc.knownMetadata()?.token_endpoint_auth_signing_alg_values_supported);
    response.setHeader('cache-control', CACHE_CONTROL);
    return { keys: [alg === undefined ? key.publicJwk : { ...key.publicJwk, alg }] };
  }
}
