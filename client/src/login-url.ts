import { currentPage } from './current-page.js';

/** The contract's login parameters, passed on to the IdP by `/auth/login` (as far as `LOGIN_FORWARD_PARAMS` allows). */
export interface LoginOptions {
  /** A same-origin path to come back to; default the current page. */
  returnTo?: string;
  prompt?: 'none' | 'login' | 'consent' | 'select_account';
  /** Seconds: the IdP re-authenticates a user who signed in longer ago. */
  maxAge?: number;
  acrValues?: string | readonly string[];
  loginHint?: string;
  uiLocales?: string | readonly string[];
}

export function loginUrl(options: LoginOptions = {}): string {
  const query = new URLSearchParams({ returnTo: options.returnTo ?? currentPage() });
  if (options.prompt !== undefined) query.set('prompt', options.prompt);
  if (options.maxAge !== undefined) query.set('max_age', String(options.maxAge));
  if (options.acrValues !== undefined) query.set('acr_values', spaced(options.acrValues));
  if (options.loginHint !== undefined) query.set('login_hint', options.loginHint);
  if (options.uiLocales !== undefined) query.set('ui_locales', spaced(options.uiLocales));
  return `/auth/login?${query.toString().replaceAll('+', '%20')}`;
}

/** OAuth lists (`acr_values`, `ui_locales`) are space-separated. */
function spaced(value: string | readonly string[]): string {
  return typeof value === 'string' ? value : value.join(' ');
}
