import { Injectable, Optional } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service';
import { OidcClient } from '../oidc/oidc.client';
import type { ExchangedToken } from '../session/session.types';
import type { DpopKey } from '../dpop/dpop-key';
import { Tracing } from '../tracing/tracing';
import { exchangeFailure } from './exchange-failure';
import { targetParameters, type ExchangeTarget } from './exchange-target';

/** The one token-endpoint call of every token exchange, sessions' and bearer callers' alike. */
@Injectable()
export class ExchangeGrant {
  constructor(
    private readonly oidc: OidcClient,
    private readonly metrics: MetricsService,
    @Optional() private readonly tracing: Tracing = Tracing.off(),
  ) {}

  /**
   * `subject` (an access token valid until `subjectExpiresAt`) for a token meant for `target`. The new token is used
   * no longer than its subject: it ends with the caller's token, whatever lifetime the IdP gave it. A subject bound to
   * `dpopKey` is exchanged with a proof by it, and the new token is bound to the same key (RFC 9449).
   */
  async obtain(subject: string, subjectExpiresAt: number, target: ExchangeTarget, dpopKey?: DpopKey): Promise<ExchangedToken> {
    try {
      const result = await this.tracing.span('token.exchange', () => this.oidc.exchangeToken(subject, targetParameters(target), dpopKey));
      this.metrics.tokenExchanges.inc({ outcome: 'success' });
      return { accessToken: result.accessToken, expiresAt: Math.min(result.expiresAt, subjectExpiresAt) };
    } catch (error: unknown) {
      throw exchangeFailure(error, target, this.metrics);
    }
  }
}
