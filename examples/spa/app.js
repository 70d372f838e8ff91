// The BFF's client package (client/, compiled into vendor/ by `npm run build`). The session cookie is HttpOnly and
// goes along by itself; the client adds the CSRF header and turns the BFF's 401s into a login. No token reaches here.
import { createBffClient } from './vendor/bff-client/bff-client.js';
import { startLiveFeed } from './live-feed.js';
import { redactAuthorization } from './redact.js';
import { startRoutePanels } from './route-panels.js';

const bff = createBffClient();
const app = document.getElementById('app');

const REASONS = {
  session_expired: 'Your session has expired. Sign in again.',
  session_revoked: 'Your session was ended elsewhere. Sign in again.',
  refresh_failed: 'The identity provider ended your session. Sign in again.',
};

async function start() {
  try {
    const answer = await bff.userOrReason();
    if (answer.user) showSignedIn(answer.user);
    else showSignedOut(answer.reason);
  } catch (error) {
    app.replaceChildren(paragraph(`Could not reach the BFF: ${error.message}`, 'notice'));
  }
}

function showSignedOut(reason) {
  const view = fromTemplate('signed-out');
  view.querySelector('[data-action="login"]').href = bff.loginUrl();
  const notice = view.querySelector('[data-slot="notice"]');
  if (REASONS[reason]) {
    notice.textContent = REASONS[reason];
    notice.hidden = false;
  }
  app.replaceChildren(view);
}

function showSignedIn(user) {
  const view = fromTemplate('signed-in');
  const slot = (name) => view.querySelector(`[data-slot="${name}"]`);
  const claims = user.claims ?? {};
  slot('name').textContent = claims.name ?? claims.preferred_username ?? user.sub;
  slot('sub').textContent = user.sub;
  slot('email').textContent = claims.email ?? '—';
  slot('consumer').textContent = user.consumer
    ? `${user.consumer.username ?? user.consumer.custom_id} (id ${user.consumer.id})`
    : 'none (no consumer mapped)';
  slot('groups').replaceChildren(...chips(user.groups));
  slot('acr').textContent = claims.acr ?? '—';
  slot('expires').textContent = new Date(user.session.expires_at).toLocaleString();
  const logout = view.querySelector('[data-action="logout"]');
  logout.href = user.logoutUrl;
  logout.addEventListener('click', (event) => {
    event.preventDefault();
    bff.logout();
  });

  const button = view.querySelector('[data-action="call-api"]');
  const result = view.querySelector('[data-view="api-result"]');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      // A 401 (session expired or revoked) sends the browser to sign in and back here; this await then never returns.
      const response = await bff.fetch('/api/hello?from=example-spa', { headers: { Accept: 'application/json' } });
      showApiResult(result, response.status, await response.json().catch(() => null));
    } finally {
      button.disabled = false;
    }
  });
  startRoutePanels(bff, view.querySelector('[data-view="routes"]'));
  startLiveFeed(bff, view.querySelector('[data-view="live"]'), bff.loginUrl());
  app.replaceChildren(view);
}

function showApiResult(section, status, body) {
  const slot = (name) => section.querySelector(`[data-slot="${name}"]`);
  slot('status').textContent = `HTTP ${status}`;
  slot('status').className = `status ${status < 400 ? 'ok' : 'bad'}`;
  const headers = body?.headers ?? {};
  const identity = body?.identity ?? pickIdentity(headers);
  const rows = [
    ['Authorization', redactAuthorization(body?.authorization ?? headers.authorization)],
    ...Object.entries(identity),
    ...Object.entries(body?.forwarded ?? {}),
    ['Cookies', body?.cookieNames?.length ? body.cookieNames.join(', ') : 'none (the session cookie stays with the BFF)'],
  ];
  if (!body) rows.splice(0, rows.length, ['Body', 'not JSON']);
  slot('received').replaceChildren(...rows.flatMap(([name, value]) => [element('dt', name), element('dd', value)]));
  slot('header-names').replaceChildren(...chips(body?.headerNames ?? Object.keys(headers)));
  section.hidden = false;
}

function pickIdentity(headers) {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.startsWith('x-consumer-') || name === 'x-authenticated-groups'));
}

function chips(values) {
  if (!values?.length) return [element('span', 'none', 'muted')];
  return values.map((value) => element('span', value, 'chip'));
}

function fromTemplate(id) {
  return document.getElementById(id).content.cloneNode(true);
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function paragraph(text, className) {
  return element('p', text, className);
}

start();
