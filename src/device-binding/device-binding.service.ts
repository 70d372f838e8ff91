import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { timingSafeEqualText } from '../auth/timing-safe';
import { AUTH_PATHS, loginUrl } from '../common/public-surface';
import type { HttpConfig, SessionConfig } from '../config/app-config';
import { HTTP_CONFIG, SESSION_CONFIG } from '../config/config.tokens';
import { MetricsService } from '../metrics/metrics.service';
import type { OpenSession } from '../session/session-gate';
import { SessionError } from '../session/session.errors';
import { sessionHandle } from '../session/session.keys';
import { SessionStore } from '../session/session.store';
import type { Session } from '../session/session.types';
import { hashSessionId } from '../session/token-crypto';
import { BindingStore } from './binding-store';
import { BoundCookie } from './bound-cookie';
import { challengeHeader, proofOf, registrationOffer, sessionIdOf } from './dbsc-headers';
import { DeviceProofError, type DeviceProofRefusal } from './device-binding.errors';
import type { DeviceBinding } from './device-binding.types';
import { verifyRefreshProof, verifyRegistrationProof } from './device-proof';
import { sessionInstructions, type SessionInstructions } from './session-instructions';

/** A browser registers right after the login's answer; a challenge it has not used by then is dead weight. */
const REGISTRATION_CHALLENGE_MS = 120_000;
/**
 * How long after its login an unbound session is still offered registration on the app's own calls. Short: whoever
 * holds the session cookie meanwhile could take the offer, and a thief who binds the session locks its owner out.
 */
const OFFER_WINDOW_MS = 120_000;
const STORE_ATTEMPTS = 3;

/** A successful registration or refresh: the configuration, a fresh bound cookie, the next refresh's challenge. */
export interface BindingAnswer {
  instructions: SessionInstructions;
  setCookie: string;
  challenge: string;
}

/**
 * Device Bound Session Credentials (W3C webappsec-dbsc) for the vault's sessions: the registration offered after login,
 * the registration that binds a session to the browser's device key, and the refresh that renews the bound cookie
 * against a proof of that key. Proofs answer single-use challenges kept in Redis, so any instance can check them.
 */
@Injectable()
export class DeviceBindingService {
  private readonly logger = new Logger('DeviceBinding');
  private readonly absoluteMs: number;
  /** A challenge sent with a new cookie is for the next refresh, so it outlives the cookie a little. */
  private readonly refreshChallengeMs: number;
  private readonly publicOrigin: string;

  constructor(
    private readonly store: BindingStore,
    private readonly sessions: SessionStore,
    private readonly cookie: BoundCookie,
    private readonly metrics: MetricsService,
    @Inject(HTTP_CONFIG) http: HttpConfig,
    @Inject(SESSION_CONFIG) config: SessionConfig,
  ) {
    this.absoluteMs = config.absoluteTimeoutSeconds * 1000;
    this.refreshChallengeMs = (config.deviceBinding.cookieLifetimeSeconds + 60) * 1000;
    this.publicOrigin = http.publicUrl;
  }

  get enabled(): boolean {
    return this.cookie.enabled;
  }

  /**
   * `Secure-Session-Registration` for the response that completes a login, when binding is on. Not when the browser
   * came from another site (`Sec-Fetch-Site: cross-site`, an IdP on a site of its own): a browser registers in the
   * context of the request that brought the offer, and a cross-site POST carries no SameSite=Lax session cookie, so
   * that registration could only fail; `offerTo` covers it on the app's first call. Never fails the login.
   */
  offerAtLogin(sessionId: string, fetchSite: string | string[] | undefined): Promise<string | undefined> {
    if (!this.enabled || fetchSite === 'cross-site') return Promise.resolve(undefined);
    return this.offer(hashSessionId(sessionId), Date.now() + this.absoluteMs);
  }

  /**
   * The offer again on the app's own calls (`/auth/user`) while a session is unbound and young: the first same-site
   * request after a login the IdP's site sent back. A browser without DBSC ignores it, and after two minutes it stops.
   */
  offerTo(session: Session): Promise<string | undefined> {
    const age = Date.now() - (session.absoluteExpiresAt - this.absoluteMs);
    if (!this.enabled || session.contents.deviceBinding || age > OFFER_WINDOW_MS) return Promise.resolve(undefined);
    return this.offer(session.keyHash, session.absoluteExpiresAt);
  }

  private async offer(keyHash: string, notAfter: number): Promise<string | undefined> {
    try {
      const challenge = await this.store.issue(keyHash, 'register', REGISTRATION_CHALLENGE_MS, notAfter);
      this.metrics.deviceBindings.inc({ event: 'offered' });
      return registrationOffer(AUTH_PATHS.deviceRegistration, challenge);
    } catch (error: unknown) {
      this.logger.warn({ failure: error instanceof Error ? error.name : 'unknown' }, 'device binding not offered: the challenge could not be stored');
      return undefined;
    }
  }

  /** Binds an unbound session to the key that signed the registration challenge it was offered. */
  async register(open: OpenSession, proofHeader: string | string[] | undefined): Promise<BindingAnswer> {
    const { sessionId, session } = open;
    if (session.contents.deviceBinding) throw this.refusal(409, 'device_binding_exists', 'registration_repeated');
    const jwt = proofOf(proofHeader);
    if (!jwt) throw this.refusal(400, 'device_proof_required', 'registration_proof_missing');
    const proof = await verifyRegistrationProof(jwt);
    if (!proof) throw this.refusal(400, 'invalid_device_proof', 'registration_proof_invalid');
    if (!(await this.store.take(session.keyHash, 'register', proof.challenge))) {
      throw this.refusal(400, 'invalid_device_proof', 'registration_challenge_invalid');
    }
    const binding: DeviceBinding = { id: randomBytes(16).toString('base64url'), alg: proof.alg, jwk: proof.jwk, boundAt: Date.now() };
    // Whatever can still fail comes first: a session bound without the browser knowing would be locked out.
    const next = await this.nextChallenge(session);
    const bound = await this.storeBinding(sessionId, session, binding);
    await this.store.markBound(bound.keyHash, binding.boundAt).catch(() => {
      this.logger.warn({ session: sessionHandle(bound.keyHash) }, 'the admin listing may not show this session as bound: Redis failed');
    });
    this.metrics.deviceBindings.inc({ event: 'registered' });
    this.logger.log({ sub: bound.contents.sub, session: sessionHandle(bound.keyHash), alg: binding.alg }, 'session bound to a device key');
    return this.answer(bound, binding, next);
  }

  /**
   * Renews the bound cookie against a proof of the session's device key over a challenge of ours. Without a valid
   * proof: `403` with a new challenge (the browser signs it and tries again), and nothing renewed or ended.
   */
  async refresh(open: OpenSession, sessionIdHeader: string | string[] | undefined, proofHeader: string | string[] | undefined): Promise<BindingAnswer> {
    const { session } = open;
    const binding = session.contents.deviceBinding;
    const named = sessionIdOf(sessionIdHeader);
    // An unknown DBSC session gets a 4xx other than 403: the browser ends it and stops refreshing.
    if (!binding || named === undefined || !timingSafeEqualText(named, binding.id)) throw this.refusal(401, 'device_binding_unknown', 'binding_unknown');
    const jwt = proofOf(proofHeader);
    if (!jwt) {
      this.metrics.deviceBindings.inc({ event: 'challenged' });
      throw await this.challenged(session, binding, 'device_proof_required');
    }
    const challenge = await verifyRefreshProof(jwt, binding);
    if (challenge === undefined || !(await this.store.take(session.keyHash, 'refresh', challenge))) {
      this.metrics.deviceBindingRefusals.inc({ reason: challenge === undefined ? 'proof_invalid' : 'challenge_invalid' });
      throw await this.challenged(session, binding, 'invalid_device_proof');
    }
    const next = await this.nextChallenge(session);
    this.metrics.deviceBindings.inc({ event: 'refreshed' });
    return this.answer(session, binding, next);
  }

  /** The challenge the browser will sign at its next refresh, handed out with this answer. */
  private nextChallenge(session: Session): Promise<string> {
    return this.store.issue(session.keyHash, 'refresh', this.refreshChallengeMs, session.absoluteExpiresAt);
  }

  private answer(session: Session, binding: DeviceBinding, next: string): BindingAnswer {
    return {
      instructions: sessionInstructions(binding.id, this.publicOrigin, { name: this.cookie.name, attributes: this.cookie.credentialAttributes }),
      setCookie: this.cookie.issue(session.keyHash, binding),
      challenge: challengeHeader(next, binding.id),
    };
  }

  private async challenged(session: Session, binding: DeviceBinding, code: DeviceProofRefusal): Promise<DeviceProofError> {
    return new DeviceProofError(403, code, { 'secure-session-challenge': challengeHeader(await this.nextChallenge(session), binding.id) });
  }

  private refusal(status: 400 | 401 | 409, code: DeviceProofRefusal, reason: string): DeviceProofError {
    this.metrics.deviceBindingRefusals.inc({ reason });
    return new DeviceProofError(status, code);
  }

  /** Seals the binding into the vault; a refresh that wrote the tokens meanwhile only means binding the newer copy. */
  private async storeBinding(sessionId: string, session: Session, binding: DeviceBinding): Promise<Session> {
    let current = session;
    for (let attempt = 0; attempt < STORE_ATTEMPTS; attempt += 1) {
      const updated = await this.sessions.replaceContents(sessionId, current, { ...current.contents, deviceBinding: binding });
      if (updated) return updated;
      const lookup = await this.sessions.lookup(sessionId);
      if (lookup.status === 'ended') throw new SessionError(lookup.reason, loginUrl());
      if (lookup.session.contents.deviceBinding) throw this.refusal(409, 'device_binding_exists', 'registration_repeated');
      current = lookup.session;
    }
    throw new Error('the session kept changing while it was being bound');
  }
}
