import { request } from 'undici';
import { DeviceKey, type DeviceAlgorithm } from './dbsc-device';
import { parseList, textOf, type BareItem, type Member } from './structured-fields';
import { TestBrowser, type BrowserInterceptor, type BrowserResponse } from './test-browser';

/** A device-bound session as the browser keeps it (W3C webappsec-dbsc, "Device bound session"). */
export interface DbscSession {
  id: string;
  origin: string;
  refreshUrl: URL;
  cookieName: string;
  excluded: { host: string; path: string }[];
  key: DeviceKey;
  cachedChallenge: string | undefined;
}

export interface DbscAnswer {
  status: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  setCookies: string[];
  body: string;
}

/** What the browser's DBSC machinery did, in order, for assertions. */
export interface DbscExchange {
  kind: 'registration' | 'refresh';
  status: number;
  body: string;
}

const MAX_CHALLENGES = 5;

/**
 * The browser's side of Device Bound Session Credentials, played from the draft and Chrome 145+'s behaviour
 * (net/device_bound_sessions/registration_fetcher.cc): a `Secure-Session-Registration` on any response makes it create
 * a key and POST a registration proof to the offered path (the proof bare in `Secure-Session-Response`, as Chrome sends
 * it); `Secure-Session-Challenge` on any response is cached for its session; before a request in a session's scope
 * whose bound cookie is missing it refreshes (POST with `Sec-Secure-Session-Id`, the cached challenge signed), signs the
 * challenge of a `403` and tries again (at most 5 challenges), and ends the session on any other 4xx. Registration is
 * awaited here, where Chrome runs it in the background: the tests need to know when it is done.
 */
export class DbscBrowser implements BrowserInterceptor {
  readonly browser = new TestBrowser();
  readonly sessions = new Map<string, DbscSession>();
  readonly exchanges: DbscExchange[] = [];
  /** Every `Secure-Session-Registration` seen, with the URL whose response carried it. */
  readonly offers: { url: string; header: string }[] = [];
  private readonly algorithm: DeviceAlgorithm;
  private readonly registers: boolean;

  /** `register: false` plays a browser that sees the offers but lets the test answer them itself. */
  constructor(options: { algorithm?: DeviceAlgorithm; register?: boolean } = {}) {
    this.algorithm = options.algorithm ?? 'ES256';
    this.registers = options.register ?? true;
    this.browser.interceptor = this;
  }

  /** The one device-bound session (most tests have exactly one). */
  get session(): DbscSession {
    const [session, ...others] = this.sessions.values();
    if (!session || others.length > 0) throw new Error(`expected one DBSC session, have ${this.sessions.size}`);
    return session;
  }

  async afterResponse(response: BrowserResponse): Promise<void> {
    this.cacheChallenges(response.headers['secure-session-challenge']);
    const header = response.headers['secure-session-registration'];
    if (header === undefined) return;
    this.offers.push({ url: response.url, header: asList(header).join(', ') });
    if (this.registers) for (const offer of offersIn(header)) await this.register(offer, new URL(response.url));
  }

  /** The challenge of the latest offer seen. */
  get offeredChallenge(): string {
    const challenge = offersIn(this.offers.at(-1)?.header)[0]?.challenge;
    if (challenge === undefined) throw new Error('no registration offer with a challenge seen');
    return challenge;
  }

  async beforeRequest(url: URL): Promise<void> {
    for (const session of [...this.sessions.values()]) {
      if (inScope(session, url) && this.browser.jar.cookies(url.href)[session.cookieName] === undefined) await this.refresh(session);
    }
  }

  /** The refresh a browser makes when the bound cookie is missing (or proactively, shortly before it expires). */
  async refresh(session: DbscSession): Promise<void> {
    for (let attempt = 0; attempt < MAX_CHALLENGES; attempt += 1) {
      const challenge = session.cachedChallenge;
      const answer = await this.post(session.refreshUrl, {
        'sec-secure-session-id': session.id,
        origin: session.origin,
        ...(challenge === undefined ? {} : { 'secure-session-response': session.key.refreshProof(challenge) }),
      });
      this.exchanges.push({ kind: 'refresh', status: answer.status, body: answer.body });
      this.cacheChallenges(answer.headers['secure-session-challenge']);
      if (answer.status === 403 && session.cachedChallenge !== challenge) continue;
      if (answer.status >= 400 && answer.status < 500) this.sessions.delete(session.id);
      if (answer.status === 200 && answer.body !== '') this.reconfigure(session, answer.body);
      return;
    }
  }

  /** A raw POST with this browser's cookies, storing what it sets: for requests no real browser would make. */
  async post(url: URL, headers: Record<string, string>): Promise<DbscAnswer> {
    const cookie = this.browser.jar.header(url);
    const response = await request(url, { method: 'POST', headers: { ...headers, ...(cookie ? { cookie } : {}) } });
    const setCookies = asList(response.headers['set-cookie']);
    this.browser.jar.store(url, setCookies);
    return { status: response.statusCode, headers: response.headers, setCookies, body: await response.body.text() };
  }

  private async register(offer: Offer, from: URL): Promise<void> {
    const alg = offer.algorithms.includes(this.algorithm) ? this.algorithm : offer.algorithms.find(isDeviceAlgorithm);
    const endpoint = offer.path === undefined ? undefined : new URL(offer.path, from);
    // The draft wants the endpoint same-site; every test runs on one origin, so same-origin is what it means here.
    if (!alg || !endpoint || endpoint.origin !== from.origin) return;
    const key = DeviceKey.create(alg);
    const proof = offer.challenge === undefined ? undefined : key.registrationProof(offer.challenge, offer.authorization === undefined ? {} : { payload: { authorization: offer.authorization } });
    const answer = await this.post(endpoint, { origin: from.origin, ...(proof ? { 'secure-session-response': proof } : {}) });
    this.exchanges.push({ kind: 'registration', status: answer.status, body: answer.body });
    const session = answer.status === 200 ? sessionFrom(answer.body, endpoint, key) : undefined;
    if (!session) return;
    this.sessions.set(session.id, session);
    this.cacheChallenges(answer.headers['secure-session-challenge']);
  }

  private reconfigure(session: DbscSession, body: string): void {
    const updated = sessionFrom(body, session.refreshUrl, session.key);
    if (updated?.id === session.id) this.sessions.set(session.id, { ...updated, cachedChallenge: session.cachedChallenge });
    else this.sessions.delete(session.id);
  }

  private cacheChallenges(header: string | string[] | undefined): void {
    for (const member of membersOf(header)) {
      const challenge = typeof member.value === 'string' ? member.value : undefined;
      const session = this.sessions.get(textOf(member.params['id']) ?? '');
      if (challenge !== undefined && session) session.cachedChallenge = challenge;
    }
  }
}

interface Offer {
  algorithms: string[];
  path: string | undefined;
  challenge: string | undefined;
  authorization: string | undefined;
}

function offersIn(header: string | string[] | undefined): Offer[] {
  return membersOf(header)
    .filter((member): member is Member & { value: BareItem[] } => Array.isArray(member.value))
    .map((member) => ({
      algorithms: member.value.map((item) => textOf(item) ?? ''),
      path: typeof member.params['path'] === 'string' ? member.params['path'] : undefined,
      challenge: typeof member.params['challenge'] === 'string' ? member.params['challenge'] : undefined,
      authorization: typeof member.params['authorization'] === 'string' ? member.params['authorization'] : undefined,
    }));
}

function membersOf(header: string | string[] | undefined): Member[] {
  if (header === undefined) return [];
  try {
    return parseList(asList(header).join(', '));
  } catch {
    return [];
  }
}

const PERMITTED_ATTRIBUTES = new Set(['domain', 'path', 'secure', 'httponly', 'samesite']);

/** The session configuration JSON, checked as Chrome checks it; `undefined` ends (or never starts) the session. */
function sessionFrom(body: string, endpoint: URL, key: DeviceKey): DbscSession | undefined {
  const config = JSON.parse(body) as Partial<{
    session_identifier: unknown;
    refresh_url: unknown;
    continue: unknown;
    scope: { origin?: unknown; include_site?: unknown; scope_specification?: { type?: unknown; domain?: unknown; path?: unknown }[] };
    credentials: { type?: unknown; name?: unknown; attributes?: unknown }[];
  }>;
  const [credential, ...more] = config.credentials ?? [];
  if (config.continue === false || typeof config.session_identifier !== 'string' || config.session_identifier === '') return undefined;
  if (typeof config.scope?.include_site !== 'boolean' || !credential || more.length > 0) return undefined;
  if (credential.type !== 'cookie' || typeof credential.name !== 'string' || typeof credential.attributes !== 'string') return undefined;
  const attributes = credential.attributes.split(';').map((part) => part.split('=')[0]?.trim().toLowerCase() ?? '').filter(Boolean);
  if (!attributes.every((name) => PERMITTED_ATTRIBUTES.has(name))) return undefined;
  const origin = typeof config.scope.origin === 'string' ? new URL(config.scope.origin).origin : endpoint.origin;
  const refreshUrl = new URL(typeof config.refresh_url === 'string' ? config.refresh_url : endpoint.href, endpoint);
  if (origin !== endpoint.origin || refreshUrl.origin !== endpoint.origin) return undefined;
  const excluded = (config.scope.scope_specification ?? [])
    .filter((rule) => rule.type === 'exclude' && typeof rule.domain === 'string' && typeof rule.path === 'string')
    .map((rule) => ({ host: String(rule.domain), path: String(rule.path) }));
  return { id: config.session_identifier, origin, refreshUrl, cookieName: credential.name, excluded, key, cachedChallenge: undefined };
}

/** "Identify if a URL is in scope of a session", origin-scoped: the refresh URL and the excluded paths are out. */
function inScope(session: DbscSession, url: URL): boolean {
  if (url.origin !== session.origin || url.pathname === session.refreshUrl.pathname) return false;
  return !session.excluded.some((rule) => rule.host === url.hostname && (url.pathname === rule.path || url.pathname.startsWith(rule.path.endsWith('/') ? rule.path : `${rule.path}/`)));
}

function isDeviceAlgorithm(name: string): name is DeviceAlgorithm {
  return name === 'ES256' || name === 'RS256';
}

function asList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
