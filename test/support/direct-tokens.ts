import { createHash, randomBytes } from 'node:crypto';
import { parseForms } from './html-forms';
import { TestBrowser } from './test-browser';

export interface DirectClient {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

export interface DirectTokens {
  access_token: string;
  id_token: string;
  refresh_token?: string;
}

/**
 * A code flow run by the test itself against the dev IdP, for `client`, signed in as `username`: the tokens that a
 * client (the BFF, or another app of the same IdP) would hold, to try them where they do not belong.
 */
export async function obtainTokens(issuer: string, client: DirectClient, username: string, options: { nonce?: boolean } = {}): Promise<DirectTokens> {
  const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { authorization_endpoint: string; token_endpoint: string };
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL(discovery.authorization_endpoint);
  for (const [name, value] of Object.entries({
    client_id: client.clientId,
    response_type: 'code',
    scope: 'openid profile email offline_access',
    redirect_uri: client.redirectUri,
    state: randomBytes(8).toString('hex'),
    // Optional in the code flow (OIDC Core §3.1.2.1): without it, the ID token carries nothing ID-token-only.
    ...(options.nonce === false ? {} : { nonce: randomBytes(8).toString('hex') }),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    prompt: 'consent',
  })) authorize.searchParams.set(name, value);

  const browser = new TestBrowser();
  const loginPage = await browser.follow(await browser.get(authorize.href));
  const form = parseForms(loginPage.response.body).find((candidate) => 'username' in candidate.fields);
  if (!form) throw new Error(`no login form at ${loginPage.response.url}`);
  let response = await browser.post(new URL(form.action || loginPage.response.url, loginPage.response.url).href, {
    form: { ...form.fields, username, password: `${username}-password` },
  });
  while (response.location !== undefined && !response.location.startsWith(client.redirectUri)) response = await browser.get(response.location);
  const code = response.location === undefined ? null : new URL(response.location).searchParams.get('code');
  if (!code) throw new Error(`the IdP answered without a code: ${response.status} ${response.location ?? ''}`);

  const tokens = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { authorization: `Basic ${btoa(`${client.clientId}:${client.clientSecret}`)}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, code_verifier: verifier }),
  });
  if (!tokens.ok) throw new Error(`code exchange failed: ${tokens.status}`);
  return (await tokens.json()) as DirectTokens;
}
