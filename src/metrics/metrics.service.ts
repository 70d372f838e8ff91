import { Injectable } from '@nestjs/common';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { clusterMetrics, isWorker } from '../workers/worker-messages';

/** Every metric of the process, on a registry of its own (several apps can share a test process). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'bff_http_requests_total',
    help: 'HTTP requests answered, by listener, route and status',
    labelNames: ['listener', 'route', 'method', 'status'] as const,
    registers: [this.registry],
  });

  readonly latency = new Histogram({
    name: 'bff_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by listener and route',
    labelNames: ['listener', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly logins = new Counter({
    name: 'bff_logins_total',
    help: 'Completed and failed logins, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly refreshes = new Counter({
    name: 'bff_token_refreshes_total',
    help: 'Access token refreshes at the IdP, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly refreshFailures = new Counter({
    name: 'bff_token_refresh_failures_total',
    help: 'Refreshes that failed, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  /** Device-bound sessions (DBSC): `offered` at login, `registered`, `refreshed`, `challenged` (a fresh challenge sent). */
  readonly deviceBindings = new Counter({
    name: 'bff_device_binding_events_total',
    help: 'Device-bound session registrations offered and completed, bound-cookie refreshes and challenges, by event',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  readonly deviceBindingRefusals = new Counter({
    name: 'bff_device_binding_refusals_total',
    help: 'Requests refused for want of a device proof or bound cookie, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  private countActiveSessions: (() => Promise<number>) | undefined;

  readonly activeSessions = new Gauge({
    name: 'bff_active_sessions',
    help: 'Sessions in the vault that are neither logged out nor past their absolute timeout',
    registers: [this.registry],
    // Every worker counts the same Redis: with WORKERS > 1 the sum would multiply it.
    aggregator: 'max',
    collect: async () => {
      if (this.countActiveSessions) this.activeSessions.set(await this.countActiveSessions().catch(() => 0));
    },
  });

  /** The session store says how to count sessions; the gauge asks at scrape time. */
  countActiveSessionsWith(counter: () => Promise<number>): void {
    this.countActiveSessions = counter;
  }

  readonly dependencyErrors = new Counter({
    name: 'bff_dependency_errors_total',
    help: 'Failed calls to Redis, Postgres or the IdP',
    labelNames: ['dependency'] as const,
    registers: [this.registry],
  });

  readonly throttledRequests = new Counter({
    name: 'bff_throttled_requests_total',
    help: 'Requests refused with 429 by a rate limit, by scope',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });

  /** Per session lookup: served from this instance's session cache (`hit`) or read from Redis (`miss`). */
  readonly sessionCacheLookups = new Counter({
    name: 'bff_session_cache_lookups_total',
    help: 'Session lookups answered from the instance cache (hit) or read from Redis (miss)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  /** Once per proxied exchange: the upstream's status class, or `error` / `timeout` when it failed. */
  readonly upstreamResponses = new Counter({
    name: 'bff_upstream_responses_total',
    help: 'Upstream answers by route and class (2xx, 3xx, 4xx, 5xx, error, timeout)',
    labelNames: ['route', 'class'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // With WORKERS > 1, the primary sums this registry with the other workers' (prom-client's cluster support).
    if (isWorker()) {
      AggregatorRegistry.setRegistries([this.registry]);
      // Constructing one is what makes prom-client answer the primary's requests in this worker.
      new AggregatorRegistry();
    }
  }

  /** The Prometheus exposition: this process's metrics, or with WORKERS > 1 every worker's, summed. */
  exposition(): Promise<string> {
    return isWorker() ? clusterMetrics() : this.registry.metrics();
  }
}
