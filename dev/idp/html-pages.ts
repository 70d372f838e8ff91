import { ONE_TIME_CODE } from './authentication-levels';

const STYLE = `
  body { font-family: system-ui, sans-serif; background: #f4f5f7; margin: 0; }
  main { max-width: 22rem; margin: 4rem auto; padding: 2rem; background: #fff; border-radius: 8px;
         box-shadow: 0 1px 4px rgba(0, 0, 0, .15); }
  h1 { font-size: 1.4rem; margin-top: 0; }
  label { display: block; margin-top: 1rem; font-weight: 600; }
  input { box-sizing: border-box; width: 100%; padding: .5rem; margin-top: .25rem; font-size: 1rem; }
  button { margin-top: 1.5rem; width: 100%; padding: .6rem; font-size: 1rem; cursor: pointer;
           background: #2f5fd0; color: #fff; border: 0; border-radius: 4px; }
  .error { color: #a4000f; background: #fde8ea; padding: .5rem; border-radius: 4px; }
  .hint { color: #666; font-size: .85rem; }`;

/** Same script oidc-provider uses for form_post, so the test browser recognises both the same way. */
const AUTO_SUBMIT = "document.addEventListener('DOMContentLoaded', function () { document.forms[0].submit() });";

export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function page(title: string, body: string, script = ''): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)}</title>
  <style>${STYLE}</style>${script ? `\n  <script>${script}</script>` : ''}
</head>
<body><main>
${body}
</main></body>
</html>`;
}

export interface LoginPageModel {
  uid: string;
  clientId: string;
  username?: string;
  /** The client asked for a second factor: the one-time code field is shown and required. */
  secondFactor?: boolean;
  failed?: boolean;
}

export function loginPage({ uid, clientId, username = '', secondFactor = false, failed = false }: LoginPageModel): string {
  const otp = secondFactor
    ? `
  <label for="otp">One-time code</label>
  <input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" required>`
    : '';
  return page(
    'Development IdP',
    `<h1>Development IdP</h1>
<p>Sign in to continue to <strong>${escapeHtml(clientId)}</strong>.</p>
${failed ? `<p class="error" role="alert">${secondFactor ? 'Invalid username, password or one-time code.' : 'Invalid username or password.'}</p>` : ''}
<form method="post" action="/interaction/${encodeURIComponent(uid)}/login" autocomplete="off">
  <label for="username">Username</label>
  <input id="username" name="username" value="${escapeHtml(username)}" required autofocus>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" required>${otp}
  <button type="submit">Sign in</button>
</form>
<p class="hint">Test users: alice, bob, carol (password: &lt;name&gt;-password)${secondFactor ? `; one-time code: ${ONE_TIME_CODE}` : ''}.</p>`,
  );
}

/**
 * RP-initiated logout confirms itself: oidc-provider's own form (with its xsrf field) gains `logout=yes`
 * and is submitted on load, so every client of the IdP session is logged out and back-channel logouts go out.
 */
export function logoutPage(providerForm: string): string {
  const form = providerForm.replace(
    '</form>',
    '<input type="hidden" name="logout" value="yes"/><button type="submit">Sign out</button></form>',
  );
  return page('Development IdP', `<h1>Signing out…</h1>\n${form}`, AUTO_SUBMIT);
}

export function signedOutPage(): string {
  return page('Development IdP', '<h1>Signed out</h1>\n<p>You have been signed out of the Development IdP.</p>');
}

export function errorPage(error: string, description?: string): string {
  return page(
    'Development IdP',
    `<h1>Development IdP</h1>
<p class="error" role="alert"><strong>${escapeHtml(error)}</strong>${description ? `: ${escapeHtml(description)}` : ''}</p>`,
  );
}
