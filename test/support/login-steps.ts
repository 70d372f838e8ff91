import { parseForms } from './html-forms';
import type { TestBrowser } from './test-browser';

const MAX_HOPS = 20;

/**
 * Starts a login and signs in at the dev IdP, stopping where the IdP sends the browser back: returns the callback URL
 * unvisited, so that a test can break a dependency between the two halves of a login. `startAt`: another instance's
 * URL to start the login at (its PUBLIC_URL still `publicUrl`).
 */
export async function callbackUrlFor(browser: TestBrowser, publicUrl: string, username: string, startAt = publicUrl): Promise<string> {
  let response = await browser.get(`${startAt}/auth/login?returnTo=/`);
  for (let hop = 0; hop < MAX_HOPS; hop += 1) {
    if (response.location?.startsWith(`${publicUrl}/auth/callback`)) return response.location;
    if (response.location !== undefined) {
      response = await browser.get(response.location);
      continue;
    }
    const form = parseForms(response.body).find((candidate) => 'username' in candidate.fields);
    if (!form) throw new Error(`no login form at ${response.url} (${response.status})`);
    const action = new URL(form.action || response.url, response.url).href;
    response = await browser.post(action, { form: { ...form.fields, username, password: `${username}-password` } });
  }
  throw new Error('the IdP never sent the browser back');
}
