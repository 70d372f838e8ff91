import { LOGIN_PARAMETERS, type LoginParameter } from '../config/login-parameter-names';
import { assertPromptSupported, LoginParameterError, parseLoginQuery } from './login-parameters';

const ALL = new Set<LoginParameter>(LOGIN_PARAMETERS);

function refusal(run: () => unknown): { code: string; details: unknown } | undefined {
  try {
    run();
  } catch (error: unknown) {
    if (error instanceof LoginParameterError) return { code: error.code, details: error.options.details };
    throw error;
  }
  return undefined;
}

describe('parseLoginQuery', () => {
  it('returns returnTo and every valid login parameter to forward', () => {
    const sut = parseLoginQuery(
      new URLSearchParams({ returnTo: '/x', prompt: 'login', max_age: '300', acr_values: 'urn:a urn:b', login_hint: 'a@b.c', ui_locales: 'de en' }),
      ALL,
    );
    expect(sut).toEqual({
      returnTo: '/x',
      forward: { prompt: 'login', max_age: '300', acr_values: 'urn:a urn:b', login_hint: 'a@b.c', ui_locales: 'de en' },
    });
  });

  it('takes an empty query as "no returnTo, nothing to forward"', () => {
    expect(parseLoginQuery(new URLSearchParams(), ALL)).toEqual({ returnTo: undefined, forward: {} });
  });

  it.each(['none', 'login', 'consent', 'select_account'])('accepts prompt=%s', (prompt) => {
    expect(parseLoginQuery(new URLSearchParams({ prompt }), ALL).forward).toEqual({ prompt });
  });

  it.each([
    ['prompt', 'create'],
    ['prompt', 'login consent'],
    ['prompt', 'NONE'],
    ['prompt', ''],
    ['max_age', '-1'],
    ['max_age', '1.5'],
    ['max_age', '1e3'],
    ['max_age', ' 30'],
    ['max_age', '12345678901'],
    ['max_age', ''],
    ['acr_values', ''],
    ['acr_values', 'a'.repeat(256)],
    ['login_hint', 'alice\n@example.com'],
    ['login_hint', 'jürgen@example.com'],
    ['ui_locales', 'de\ten'],
  ])('refuses %s=%j as invalid_login_parameter', (name, value) => {
    expect(refusal(() => parseLoginQuery(new URLSearchParams({ [name]: value }), ALL))).toEqual({
      code: 'invalid_login_parameter',
      details: [{ parameter: name }],
    });
  });

  it('normalises max_age to its plain number', () => {
    expect(parseLoginQuery(new URLSearchParams({ max_age: '0090' }), ALL).forward).toEqual({ max_age: '90' });
    expect(parseLoginQuery(new URLSearchParams({ max_age: '0' }), ALL).forward).toEqual({ max_age: '0' });
  });

  it('accepts printable values of exactly 255 characters', () => {
    const hint = `${'a'.repeat(243)}@example.com`;
    expect(parseLoginQuery(new URLSearchParams({ login_hint: hint }), ALL).forward).toEqual({ login_hint: hint });
  });

  it.each(['scope', 'redirect_uri', 'client_id', 'response_type', 'state', 'nonce', 'code_challenge', 'response_mode', 'claims', 'request', 'Prompt'])(
    'refuses %s as unknown_login_parameter',
    (name) => {
      expect(refusal(() => parseLoginQuery(new URLSearchParams({ [name]: 'x' }), ALL))).toEqual({
        code: 'unknown_login_parameter',
        details: [{ parameter: name }],
      });
    },
  );

  it('refuses a login parameter that LOGIN_FORWARD_PARAMS leaves out', () => {
    const onlyPrompt = new Set<LoginParameter>(['prompt']);
    expect(parseLoginQuery(new URLSearchParams({ prompt: 'none' }), onlyPrompt).forward).toEqual({ prompt: 'none' });
    expect(refusal(() => parseLoginQuery(new URLSearchParams({ login_hint: 'a' }), onlyPrompt))).toEqual({
      code: 'login_parameter_not_forwarded',
      details: [{ parameter: 'login_hint' }],
    });
    expect(refusal(() => parseLoginQuery(new URLSearchParams({ prompt: 'none' }), new Set()))?.code).toBe('login_parameter_not_forwarded');
  });

  it('refuses a parameter given twice, returnTo included', () => {
    expect(refusal(() => parseLoginQuery(new URLSearchParams('prompt=none&prompt=login'), ALL))?.code).toBe('invalid_login_parameter');
    expect(refusal(() => parseLoginQuery(new URLSearchParams('returnTo=/a&returnTo=/b'), ALL))?.code).toBe('invalid_login_parameter');
  });

  it('names an unprintable parameter without repeating its raw characters', () => {
    expect(refusal(() => parseLoginQuery(new URLSearchParams({ 'sc\u0000ope\u00e9': 'x' }), ALL))?.details).toEqual([{ parameter: 'sc?ope?' }]);
  });
});

describe('assertPromptSupported', () => {
  it('accepts any prompt when discovery lists no prompt_values_supported', () => {
    expect(() => assertPromptSupported('select_account', undefined)).not.toThrow();
  });

  it('accepts a listed prompt and refuses one the IdP does not list', () => {
    expect(() => assertPromptSupported('none', ['none', 'login', 'consent'])).not.toThrow();
    expect(refusal(() => assertPromptSupported('select_account', ['none', 'login', 'consent']))).toEqual({
      code: 'invalid_login_parameter',
      details: [{ parameter: 'prompt' }],
    });
  });
});
