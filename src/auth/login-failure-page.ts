import type { ErrorResponse } from '../common/error-body';
import { loginUrl } from '../common/public-surface';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] ?? character);
}

/** Where "try again" goes: a new login, back to the page the failed one came from when that is known. */
export function retryLoginUrl(returnTo: string | undefined): string {
  return loginUrl(returnTo === undefined || returnTo === '/' ? [] : [`returnTo=${encodeURIComponent(returnTo)}`]);
}

/**
 * What a person sees when a sign-in that their browser navigated to fails: the reason, the error code an operator can
 * search the log for, and a way to start again. Every value is escaped; the page loads nothing and runs no script.
 */
export function loginFailurePage(failure: ErrorResponse, retryUrl: string): string {
  const { error, message } = failure.body;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in failed</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}code{color:#555}</style>
</head><body><main>
<h1>Sign-in failed</h1>
<p>${escapeHtml(message)}</p>
<p><a href="${escapeHtml(retryUrl)}">Try again</a></p>
<p><code>${escapeHtml(error)} (${failure.status})</code></p>
</main></body></html>
`;
}
