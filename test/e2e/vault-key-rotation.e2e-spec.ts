import { startLoginStack, type LoginStack } from '../support/login-stack';
import { startTestApp } from '../support/test-app';
import { randomKey } from '../support/test-env';

describe('TOKEN_ENCRYPTION_KEYS rotation', () => {
  let stack: LoginStack;

  beforeAll(async () => {
    stack = await startLoginStack();
  });
  afterAll(async () => {
    await stack.stop();
  });

  async function userStatus(baseUrl: string, cookie: string): Promise<{ status: number; error?: string }> {
    const response = await fetch(`${baseUrl}/auth/user`, { headers: { 'x-csrf': '1', cookie } });
    const body = (await response.json()) as { error?: string };
    return { status: response.status, error: body.error };
  }

  it('keeps sessions readable when a new key is put first, and logs them out when their key is removed', async () => {
    const browser = await stack.signedIn('alice');
    const cookie = browser.cookieHeader(stack.publicUrl) ?? '';
    const oldKey = stack.app.env['TOKEN_ENCRYPTION_KEYS']!;
    const newKey = randomKey();

    const rotated = await startTestApp({ ...stack.app.env, PORT: '0', TOKEN_ENCRYPTION_KEYS: `${newKey},${oldKey}` }, { database: stack.app.database });
    try {
      expect(await userStatus(rotated.browserUrl, cookie)).toEqual({ status: 200, error: undefined });
    } finally {
      await rotated.close();
    }

    const withoutOldKey = await startTestApp({ ...stack.app.env, PORT: '0', TOKEN_ENCRYPTION_KEYS: newKey }, { database: stack.app.database });
    try {
      expect(await userStatus(withoutOldKey.browserUrl, cookie)).toEqual({ status: 401, error: 'session_expired' });
    } finally {
      await withoutOldKey.close();
    }
  });
});
