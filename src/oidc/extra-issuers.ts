import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import type { OidcConfig } from '../config/app-config';
import { OIDC_CONFIG } from '../config/config.tokens';
import { ReadinessService } from '../health/readiness.service';
import { Tracing } from '../tracing/tracing';
import { idpEndpointName } from './idp-endpoint-name';
import { IssuerKeys } from './issuer-keys';

/** One issuer of BEARER_EXTRA_ISSUERS as the bearer verifier uses it. */
export interface ExtraIssuer {
  keys: IssuerKeys;
  /** The `aud` its tokens must carry: its own, else OIDC_AUDIENCE. */
  audience: string | undefined;
}

/**
 * The other issuers whose JWT access tokens bearer routes accept (Kong's `issuers_allowed`, oauth2-proxy's
 * `--extra-jwt-issuers`). Each is discovered on its first token and fails alone: /readyz lists them from what is
 * known (no request of its own), outside `ready`, so one partner's outage never takes the BFF out of its balancer.
 */
@Injectable()
export class ExtraIssuers implements OnModuleInit {
  private readonly byIssuer = new Map<string, ExtraIssuer>();

  constructor(
    @Inject(OIDC_CONFIG) settings: OidcConfig,
    private readonly readiness: ReadinessService,
    @Optional() tracing: Tracing = Tracing.off(),
  ) {
    const fetch = tracing.idpFetch((url) => idpEndpointName(url, undefined));
    for (const { issuer, audience } of settings.extraIssuers) {
      this.byIssuer.set(issuer, { keys: new IssuerKeys(issuer, fetch), audience: audience ?? settings.audience });
    }
  }

  onModuleInit(): void {
    if (this.byIssuer.size === 0) return;
    this.readiness.describe('issuers', () => Object.fromEntries([...this.byIssuer].map(([issuer, { keys }]) => [issuer, keys.state])));
  }

  /** The extra issuer a token names in `iss`; undefined when it is none of them. */
  find(issuer: string): ExtraIssuer | undefined {
    return this.byIssuer.get(issuer);
  }
}
