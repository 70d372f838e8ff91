/** Cookie parsing and writing for the BFF's own cookies; kept tiny because it runs on every request. */

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  const prefix = `${name}=`;
  for (const part of header.split(';')) {
    const pair = part.trim();
    if (pair.startsWith(prefix)) return pair.slice(prefix.length);
  }
  return undefined;
}

/** A cookie value shaped like one of our session ids, or undefined (no Redis round trip for garbage). */
export function readSessionId(header: string | undefined, name: string): string | undefined {
  const value = readCookie(header, name);
  return value !== undefined && isSessionIdShaped(value) ? value : undefined;
}

export function isSessionIdShaped(value: string): boolean {
  return SESSION_ID.test(value);
}

export interface CookieOptions {
  secure: boolean;
  sameSite: 'Lax' | 'None' | 'Strict';
  maxAgeSeconds?: number;
  path?: string;
}

export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${value}`, `Path=${options.path ?? '/'}`, 'HttpOnly', `SameSite=${options.sameSite}`];
  if (options.secure) parts.push('Secure');
  if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${options.maxAgeSeconds}`);
  return parts.join('; ');
}

export function clearCookie(name: string, options: Omit<CookieOptions, 'maxAgeSeconds'>): string {
  return serializeCookie(name, '', { ...options, maxAgeSeconds: 0 });
}
