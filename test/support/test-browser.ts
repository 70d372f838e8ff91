import { request } from 'undici';
import { CookieJar } from './cookie-jar';
import { isAutoSubmitPage, parseForms, type HtmlForm } from './html-forms';

export interface BrowserResponse {
  status: number;
  /** The URL this response answered. */
  url: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Raw Set-Cookie headers, for flag assertions (HttpOnly, SameSite, Path, ...). */
  setCookies: string[];
  /** The Location header resolved against `url`, on redirects. */
  location: string | undefined;
  body: string;
}

export interface Navigation {
  response: BrowserResponse;
  /** Every URL requested, in order, starting with the one that produced the response given to `follow`. */
  visited: string[];
}

export type PostBody = { form: Record<string, string> | URLSearchParams } | { json: unknown };

const MAX_HOPS = 20;
/** What a browser's top-level navigation asks for: a failed login answers it with an HTML page. */
export const BROWSER_ACCEPT = 'text/html,application/json;q=0.9,*/*;q=0.8';
/** What a script asks for: the contract's JSON errors. */
export const JSON_ACCEPT = 'application/json';

export interface TestBrowserOptions {
  /** The Accept header of every request (default: a browser's navigation). */
  accept?: string;
}

/** A browser feature that sees every exchange, before and after (Device Bound Session Credentials: dbsc-browser.ts). */
export interface BrowserInterceptor {
  beforeRequest(url: URL): Promise<void>;
  afterResponse(response: BrowserResponse): Promise<void>;
}

/**
 * A tiny browser for e2e tests: a cookie jar, manual redirects, and the self-submitting forms a browser with
 * JavaScript would post (form_post callbacks, the dev IdP's logout confirmation). Bodies are read whole, so
 * use `cookieHeader()` with fetch for streaming responses.
 */
export class TestBrowser {
  readonly jar = new CookieJar();
  /** Raw Set-Cookie headers of the most recent response. */
  lastSetCookies: string[] = [];
  interceptor: BrowserInterceptor | undefined;
  private readonly accept: string;

  constructor({ accept = BROWSER_ACCEPT }: TestBrowserOptions = {}) {
    this.accept = accept;
  }

  get(url: string, headers: Record<string, string> = {}): Promise<BrowserResponse> {
    return this.send('GET', url, headers, undefined);
  }

  post(url: string, body: PostBody, headers: Record<string, string> = {}): Promise<BrowserResponse> {
    if ('json' in body) {
      return this.send('POST', url, { 'content-type': 'application/json', ...headers }, JSON.stringify(body.json));
    }
    const form = new URLSearchParams(body.form).toString();
    return this.send('POST', url, { 'content-type': 'application/x-www-form-urlencoded', ...headers }, form);
  }

  /** Follows redirects (always as GET) and self-submitting forms, across origins, until a page stays put. */
  async follow(response: BrowserResponse): Promise<Navigation> {
    const visited = [response.url];
    let current = response;
    for (let hop = 0; hop < MAX_HOPS; hop += 1) {
      const form = autoSubmitForm(current);
      if (current.location !== undefined && isRedirect(current.status)) {
        current = await this.get(current.location);
      } else if (form) {
        current = await this.post(new URL(form.action || current.url, current.url).href, { form: form.fields });
      } else {
        return { response: current, visited };
      }
      visited.push(current.url);
    }
    throw new Error(`more than ${MAX_HOPS} hops: ${visited.join(' -> ')}`);
  }

  /**
   * Opens `startUrl`, signs in on the dev IdP's form and follows the way back. When the IdP session is still
   * alive no form appears and the navigation simply ends where the redirects do. A rejected password ends on
   * the re-rendered login form (status 200). `extra` fills further fields, such as the one-time code.
   */
  async loginWithForm(startUrl: string, username: string, password: string, extra: Record<string, string> = {}): Promise<Navigation> {
    const toIdp = await this.follow(await this.get(startUrl));
    const loginForm = parseForms(toIdp.response.body).find((form) => 'username' in form.fields);
    if (!loginForm) return toIdp;
    const action = new URL(loginForm.action || toIdp.response.url, toIdp.response.url).href;
    const submitted = await this.post(action, { form: { ...loginForm.fields, ...extra, username, password } });
    const back = await this.follow(submitted);
    return { response: back.response, visited: [...toIdp.visited, ...back.visited] };
  }

  cookies(hostOrUrl: string): Record<string, string> {
    return this.jar.cookies(hostOrUrl);
  }

  cookieHeader(url: string): string | undefined {
    return this.jar.header(new URL(url));
  }

  private async send(
    method: 'GET' | 'POST',
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<BrowserResponse> {
    const target = new URL(url);
    await this.interceptor?.beforeRequest(target);
    const cookie = this.jar.header(target);
    const response = await request(target, {
      method,
      headers: { accept: this.accept, ...(cookie ? { cookie } : {}), ...headers },
      body,
    });
    const setCookies = asList(response.headers['set-cookie']);
    this.jar.store(target, setCookies);
    this.lastSetCookies = setCookies;
    const location = asList(response.headers.location)[0];
    const answer: BrowserResponse = {
      status: response.statusCode,
      url: target.href,
      headers: response.headers,
      setCookies,
      location: location === undefined ? undefined : new URL(location, target).href,
      body: await response.body.text(),
    };
    await this.interceptor?.afterResponse(answer);
    return answer;
  }
}

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400;
}

function autoSubmitForm(response: BrowserResponse): HtmlForm | undefined {
  if (response.status !== 200 || !isAutoSubmitPage(response.body)) return undefined;
  const [form] = parseForms(response.body);
  return form?.method === 'post' ? form : undefined;
}

function asList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
