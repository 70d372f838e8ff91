import type { Measurement, Subject } from './measure';
import { summarise } from './measure';
import type { Report } from './report';

/**
 * Scenario x: scenario 1's session call on a route with `token_exchange`. Its exchanged token rides in the vault
 * entry the BFF reads anyway (and in its one-second session cache): one vault read, no IdP call per request. Measured
 * in scenario 1's interleaved rounds, and compared with it.
 */
export const EXCHANGE_ROUTE_PATH = '/exchanged';

export function exchangeRoute(upstreamUrl: string): string {
  return `  - path: ${EXCHANGE_ROUTE_PATH}\n    upstream: ${upstreamUrl}\n    auth: session\n    token_exchange: { audience: 'api://orders' }\n`;
}

export function exchangeSubject(session: Subject): Subject {
  return { ...session, name: 'bff session, token_exchange route', load: { ...session.load, url: session.load.url.replace('/api/', `${EXCHANGE_ROUTE_PATH}/`) } };
}

/** The scenario's line, and its ratio to scenario 1 with the IdP's token-endpoint calls made during the rounds. */
export function exchangeScenario(runs: readonly Measurement[], subject: Subject, session: Subject, bare: string, idpCalls: number): Report['scenarios'][number] {
  const toSession = summarise([...runs], subject.name, session.name).vsBaseline?.rps ?? Number.NaN;
  return {
    label: `x session on a \`token_exchange\` route (${(toSession * 100).toFixed(1)} % of 1's req/s; ${idpCalls} IdP token calls during the rounds)`,
    summary: summarise([...runs], subject.name, bare),
  };
}
