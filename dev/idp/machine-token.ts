import { MACHINE_CLIENT_ID, MACHINE_CLIENT_SECRET } from './idp-clients';

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
}

export async function requestClientCredentialsToken(tokenEndpoint: URL, scope?: string, resource?: string): Promise<TokenResponse> {
  const body = new URLSearchParams({ grant_type: 'client_credentials' });
  if (scope) body.set('scope', scope);
  if (resource) body.set('resource', resource);
  const response = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { authorization: `Basic ${btoa(`${MACHINE_CLIENT_ID}:${MACHINE_CLIENT_SECRET}`)}` },
    body,
  });
  const json: unknown = await response.json();
  if (!response.ok || !isTokenResponse(json)) throw new Error(`client_credentials failed: ${JSON.stringify(json)}`);
  return json;
}

function isTokenResponse(value: unknown): value is TokenResponse {
  if (typeof value !== 'object' || value === null) return false;
  const fields: Partial<Record<keyof TokenResponse, unknown>> = value;
  return (
    typeof fields.access_token === 'string' &&
    typeof fields.token_type === 'string' &&
    typeof fields.expires_in === 'number' &&
    (fields.scope === undefined || typeof fields.scope === 'string')
  );
}
