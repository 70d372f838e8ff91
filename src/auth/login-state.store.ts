import { Injectable } from '@nestjs/common';
import { RedisConnection } from '../redis/redis.connection';

export interface LoginState {
  codeVerifier: string;
  nonce: string;
  returnTo: string;
  /** SHA-256 of the login cookie that binds this attempt to the browser that started it. */
  binding: string;
  /** Started with prompt=none: an IdP's "interaction needed" answer goes back to the SPA, not to an error page. */
  silent: boolean;
}

export const LOGIN_STATE_TTL_SECONDS = 600;

/** Pending logins, keyed by `state`: short-lived and single-use (GETDEL), so several tabs can log in at once. */
@Injectable()
export class LoginStateStore {
  constructor(private readonly redis: RedisConnection) {}

  async save(state: string, login: LoginState): Promise<void> {
    await this.redis.run((client) => client.set(this.key(state), JSON.stringify(login), 'EX', LOGIN_STATE_TTL_SECONDS));
  }

  async take(state: string): Promise<LoginState | undefined> {
    const json = await this.redis.run((client) => client.getdel(this.key(state)));
    return json ? parseLoginState(json) : undefined;
  }

  private key(state: string): string {
    return this.redis.key('login', state);
  }
}

function parseLoginState(json: string): LoginState | undefined {
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value !== 'object' || value === null) return undefined;
    const { codeVerifier, nonce, returnTo, binding, silent } = value as Record<string, unknown>;
    if (typeof codeVerifier !== 'string' || typeof nonce !== 'string' || typeof returnTo !== 'string' || typeof binding !== 'string') {
      return undefined;
    }
    return { codeVerifier, nonce, returnTo, binding, silent: silent === true };
  } catch {
    return undefined;
  }
}
