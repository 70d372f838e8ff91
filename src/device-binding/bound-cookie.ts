import { createHmac, createSecretKey, hkdfSync, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { boundCookieName, loginUrlFor } from '../common/public-surface';
import { sha256Bytes } from '../common/sha256';
import type { HttpConfig, SessionConfig } from '../config/app-config';
import { HTTP_CONFIG, SESSION_CONFIG } from '../config/config.tokens';
import { MetricsService } from '../metrics/metrics.service';
import { clearCookie, readCookie, serializeCookie, type CookieOptions } from '../session/cookies';
import type { Session } from '../session/session.types';
import { DeviceBindingRequiredError } from './device-binding.errors';
import type { DeviceBinding } from './device-binding.types';

export type BoundCookieVerdict = 'valid' | 'missing' | 'expired' | 'invalid';

const KID_BYTES = 4;
const MAC_BYTES = 32;
const NONCE_BYTES = 8;
const HKDF_SALT = Buffer.from('bff-device-binding/v1', 'utf8');

/**
 * The bound cookie: what a device-bound session needs beside the session cookie, renewed only by a proof of the
 * device key. Its value is `<expiry>.<nonce>.<key id>.<HMAC-SHA256(session key hash, binding id, expiry, nonce)>`
 * under a key derived from TOKEN_ENCRYPTION_KEYS, so checking it on the hot path costs one HMAC and no Redis read:
 * whether the session is bound comes with the session itself. The nonce makes every refresh's cookie a new value
 * (Chrome reads an unchanged one as a refresh that did not happen).
 */
@Injectable()
export class BoundCookie {
  readonly name: string;
  readonly enabled: boolean;
  readonly lifetimeSeconds: number;
  private readonly attributes: CookieOptions;
  private readonly signingKid: string;
  private readonly keys = new Map<string, KeyObject>();
  private readonly publicOrigin: string;

  constructor(
    @Inject(SESSION_CONFIG) config: SessionConfig,
    @Inject(HTTP_CONFIG) http: HttpConfig,
    @Optional() private readonly metrics?: MetricsService,
  ) {
    this.name = boundCookieName(config.cookieName);
    this.enabled = config.deviceBinding.enabled;
    this.lifetimeSeconds = config.deviceBinding.cookieLifetimeSeconds;
    this.attributes = { secure: config.cookieSecure, sameSite: 'Lax' };
    this.publicOrigin = http.publicUrl;
    const derived = config.encryptionKeys.map(deriveKey);
    for (const { kid, key } of derived) if (!this.keys.has(kid)) this.keys.set(kid, key);
    this.signingKid = derived[0]?.kid ?? '';
  }

  /** The Set-Cookie line of a fresh bound cookie for this session and binding. */
  issue(keyHash: string, binding: DeviceBinding, now = Date.now()): string {
    // Rounded up: never before the browser's own Max-Age runs out, or it would send a cookie we already refuse.
    const expiry = String(Math.ceil(now / 1000) + this.lifetimeSeconds);
    const key = this.keys.get(this.signingKid);
    if (!key) throw new Error('no key to sign bound cookies with');
    const nonce = randomBytes(NONCE_BYTES).toString('base64url');
    const value = `${expiry}.${nonce}.${this.signingKid}.${mac(key, keyHash, binding.id, expiry, nonce).toString('base64url')}`;
    return serializeCookie(this.name, value, { ...this.attributes, maxAgeSeconds: this.lifetimeSeconds });
  }

  clear(): string {
    return clearCookie(this.name, this.attributes);
  }

  /** The cookie's attributes as the DBSC session configuration names them (Max-Age has no place there). */
  get credentialAttributes(): string {
    return `Path=/; HttpOnly; SameSite=Lax${this.attributes.secure ? '; Secure' : ''}`;
  }

  /** The hot path's question, without a refusal: may this request use this session? */
  admits(request: IncomingMessage, session: Session): boolean {
    const binding = session.contents.deviceBinding;
    return !binding || !this.enabled || this.verdict(request.headers.cookie, session.keyHash, binding) === 'valid';
  }

  /** Refuses (401 `device_binding_required`) a request to a bound session that lacks a valid bound cookie. */
  enforce(request: IncomingMessage, session: Session): void {
    const binding = session.contents.deviceBinding;
    if (!binding || !this.enabled) return;
    const verdict = this.verdict(request.headers.cookie, session.keyHash, binding);
    if (verdict === 'valid') return;
    this.metrics?.deviceBindingRefusals.inc({ reason: `cookie_${verdict}` });
    // Clearing it makes a DBSC browser that somehow holds a stale one refresh before its next request.
    throw new DeviceBindingRequiredError(loginUrlFor(request.headers.referer, this.publicOrigin), this.clear());
  }

  verdict(cookieHeader: string | undefined, keyHash: string, binding: DeviceBinding, now = Date.now()): BoundCookieVerdict {
    const value = readCookie(cookieHeader, this.name);
    if (value === undefined || value === '') return 'missing';
    const first = value.indexOf('.');
    const second = value.indexOf('.', first + 1);
    const third = value.indexOf('.', second + 1);
    if (first <= 0 || second === -1 || third === -1) return 'invalid';
    const expiry = value.slice(0, first);
    const nonce = value.slice(first + 1, second);
    const key = this.keys.get(value.slice(second + 1, third));
    const given = Buffer.from(value.slice(third + 1), 'base64url');
    if (!key || given.length !== MAC_BYTES || !/^\d{1,12}$/.test(expiry)) return 'invalid';
    if (!timingSafeEqual(given, mac(key, keyHash, binding.id, expiry, nonce))) return 'invalid';
    return Number(expiry) * 1000 > now ? 'valid' : 'expired';
  }
}

function mac(key: KeyObject, keyHash: string, bindingId: string, expiry: string, nonce: string): Buffer {
  return createHmac('sha256', key).update(`${keyHash}.${bindingId}.${expiry}.${nonce}`).digest();
}

/** One HMAC key per TOKEN_ENCRYPTION_KEYS key (HKDF, its own purpose), imported once; the id names it in the cookie. */
function deriveKey(secret: Buffer): { kid: string; key: KeyObject } {
  const kid = sha256Bytes(Buffer.concat([Buffer.from('bff-device-binding key id\0'), secret])).subarray(0, KID_BYTES).toString('hex');
  const key = createSecretKey(Buffer.from(hkdfSync('sha256', secret, HKDF_SALT, Buffer.from('bound-cookie', 'utf8'), 32)));
  return { kid, key };
}
