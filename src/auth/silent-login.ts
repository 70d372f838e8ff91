/** OIDC Core §3.1.2.6: what an IdP answers to prompt=none when it would have to show the user something. */
const INTERACTION_NEEDED = new Set(['login_required', 'consent_required', 'interaction_required', 'account_selection_required']);

/** The IdP's answer to a silent login that the SPA should hear about (as `bff_error`), or undefined. */
export function silentLoginFailure(silent: boolean, idpError: string | null): string | undefined {
  return silent && idpError !== null && INTERACTION_NEEDED.has(idpError) ? idpError : undefined;
}

/** `returnTo` with `bff_error=<code>` added to its query, the rest of it (query and fragment) as it was. */
export function withBffError(returnTo: string, code: string): string {
  const hashAt = returnTo.indexOf('#');
  const beforeHash = hashAt === -1 ? returnTo : returnTo.slice(0, hashAt);
  const hash = hashAt === -1 ? '' : returnTo.slice(hashAt);
  const separator = beforeHash.includes('?') ? (beforeHash.endsWith('?') || beforeHash.endsWith('&') ? '' : '&') : '?';
  return `${beforeHash}${separator}bff_error=${encodeURIComponent(code)}${hash}`;
}
