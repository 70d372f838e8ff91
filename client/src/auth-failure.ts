/**
 * The `401` reasons of the BFF's contract; any other `401` is the upstream's own and is left to the caller.
 * `device_binding_required`: a device-bound session used without its bound cookie (a copied session cookie).
 */
export const SESSION_REASONS = ['not_authenticated', 'session_expired', 'session_revoked', 'refresh_failed', 'device_binding_required'] as const;

export type SessionReason = (typeof SESSION_REASONS)[number];
export type AuthFailureReason = SessionReason | 'step_up_required';

/** The body of a BFF `401`: `{"error","message","login_url"}`. */
export interface AuthFailure {
  error: AuthFailureReason;
  message: string;
  login_url: string;
}

/** The response's body when it is one of the BFF's `401`s, else undefined. The response itself stays unread. */
export async function authFailureOf(response: Response): Promise<AuthFailure | undefined> {
  if (response.status !== 401) return undefined;
  if (!(response.headers.get('content-type') ?? '').toLowerCase().includes('json')) return undefined;
  const body: unknown = await response.clone().json().catch(() => undefined);
  return parseAuthFailure(body);
}

function parseAuthFailure(body: unknown): AuthFailure | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { error, message, login_url: loginUrl } = body as Record<string, unknown>;
  if (!isReason(error)) return undefined;
  return {
    error,
    message: typeof message === 'string' ? message : '',
    login_url: typeof loginUrl === 'string' ? loginUrl : '',
  };
}

function isReason(value: unknown): value is AuthFailureReason {
  return value === 'step_up_required' || (SESSION_REASONS as readonly unknown[]).includes(value);
}

/**
 * Only a login on this origin is followed: an upstream's own `401` passes the BFF unchanged, so a `login_url` that
 * pointed anywhere else would let an upstream send the user off-site.
 */
export function isOwnLoginUrl(value: string): boolean {
  return value.startsWith('/auth/login?') || value === '/auth/login';
}
