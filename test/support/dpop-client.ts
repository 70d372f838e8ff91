import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { MACHINE_CLIENT_ID, MACHINE_CLIENT_SECRET } from '../../dev/idp/idp-clients';
import { TOKEN_PATH } from '../../dev/idp/idp-counters';
import { proofFor, type DpopHolder } from './dpop-proofs';

export interface BoundToken {
  access_token: string;
  token_type: string;
}

/**
 * A client-credentials token for the dev IdP's `machine` client, bound to `holder`'s key (with the nonce dance when the
 * IdP asks for one): the IdP verifies the proof and puts the key's thumbprint in the token's `cnf.jkt` (JWT) or its introspection answer (`resource: api://opaque`).
 */
export async function issueBoundToken(issuer: string, holder: DpopHolder, options: { scope?: string; resource?: string } = {}): Promise<BoundToken> {
  const url = new URL(TOKEN_PATH, issuer).href;
  const ask = async (nonce?: string) =>
    fetch(url, {
      method: 'POST',
      headers: { authorization: `Basic ${btoa(`${MACHINE_CLIENT_ID}:${MACHINE_CLIENT_SECRET}`)}`, dpop: await proofFor(holder, { method: 'POST', url, nonce }) },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...options }),
    });
  let response = await ask();
  // An IdP that requires DPoP nonces (as Okta does) answers the first proof with one to use.
  const nonce = response.headers.get('dpop-nonce');
  if (response.status === 400 && nonce !== null) response = await ask(nonce);
  const json = (await response.json()) as Partial<BoundToken>;
  if (!response.ok || json.token_type !== 'DPoP' || typeof json.access_token !== 'string') throw new Error(`no DPoP-bound token: ${response.status} ${JSON.stringify(json)}`);
  return { access_token: json.access_token, token_type: json.token_type };
}

export interface PlainResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request whose `DPoP` header lines are sent as given: none, one, or several (fetch would join them into one). */
export function requestWithProofs(url: string, options: { method?: string; authorization?: string; proofs?: readonly string[] }): Promise<PlainResponse> {
  const headers: Record<string, string | string[]> = {};
  if (options.authorization !== undefined) headers['authorization'] = options.authorization;
  if (options.proofs && options.proofs.length > 0) headers['dpop'] = [...options.proofs];
  return new Promise((resolve, reject) => {
    const sent = httpRequest(url, { method: options.method ?? 'GET', headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      response.on('error', reject);
    });
    sent.on('error', reject);
    sent.end();
  });
}
