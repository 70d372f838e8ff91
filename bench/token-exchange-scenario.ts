import type { Measurement, Subject } from './measure';
import { ratiosTo, row, type Row } from './table';

/**
 * Scenario x: scenario 1's session call on a route with `token_exchange`. Its exchanged token rides in the vault
 * entry the BFF reads anyway (and in its session cache): one vault read, no IdP call per request. Measured in
 * scenario 1's interleaved rounds, and compared with it.
 */
export const EXCHANGE_ROUTE_PATH = '/exchanged';

export function exchangeRoute(upstreamUrl: string): string {
  return `  - path: ${EXCHANGE_ROUTE_PATH}\n    upstream: ${upstreamUrl}\n    auth: session\n    token_exchange: { audience: 'api://orders' }\n`;
}

export function exchangeSubject(session: Subject): Subject {
  return { ...session, name: 'bff session, token_exchange route', load: { ...session.load, url: session.load.url.replace('/api/', `${EXCHANGE_ROUTE_PATH}/`) } };
}

/** The scenario's row, its note the ratios to scenario 1 and the IdP's token-endpoint calls made during the rounds. */
export function exchangeRow(runs: readonly Measurement[], subject: Subject, session: Subject, floor: string, bare: string, idpCalls: number): Row {
  const ratios = ratiosTo(runs, subject.name, session.name, 'single session');
  return { ...row(runs, 'x: single session on a `token_exchange` route', subject.name, floor, bare), note: `${ratios}${idpCalls} IdP token calls during the rounds` };
}
