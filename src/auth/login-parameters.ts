import { AppError } from '../common/app.error';
import { LOGIN_PARAMETERS, type LoginParameter } from '../config/login-parameter-names';

export const PROMPT_VALUES = ['none', 'login', 'consent', 'select_account'] as const;

export interface LoginRequest {
  /** As given (unchecked): `safeReturnTo` decides. */
  returnTo: string | undefined;
  /** The validated login parameters to add to the authorization request. */
  forward: Partial<Record<LoginParameter, string>>;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]{1,255}$/;
const NON_NEGATIVE_INTEGER = /^\d{1,10}$/;
const KNOWN = new Set<string>(LOGIN_PARAMETERS);

/** A query parameter /auth/login does not take (or not here, or not in that form): 400 with what to fix. */
export class LoginParameterError extends AppError {
  constructor(code: 'unknown_login_parameter' | 'login_parameter_not_forwarded' | 'invalid_login_parameter', parameter: string, message: string) {
    super(400, code, message, { details: [{ parameter: asPrintable(parameter) }] });
  }
}

/**
 * The browser may choose where to return and, among the login parameters LOGIN_FORWARD_PARAMS names, how the IdP
 * should authenticate; never `scope`, `redirect_uri`, `client_id` or anything else of the authorization request.
 */
export function parseLoginQuery(query: URLSearchParams, forwarded: ReadonlySet<LoginParameter>): LoginRequest {
  const request: LoginRequest = { returnTo: undefined, forward: {} };
  const seen = new Set<string>();
  for (const [name, value] of query) {
    if (seen.has(name)) throw new LoginParameterError('invalid_login_parameter', name, `${asPrintable(name)} is given more than once.`);
    seen.add(name);
    if (name === 'returnTo') {
      request.returnTo = value;
      continue;
    }
    if (!isLoginParameter(name)) {
      throw new LoginParameterError(
        'unknown_login_parameter',
        name,
        `/auth/login takes only returnTo, ${LOGIN_PARAMETERS.join(', ')}; the BFF chooses every other authorization parameter.`,
      );
    }
    if (!forwarded.has(name)) {
      throw new LoginParameterError('login_parameter_not_forwarded', name, `${name} is not passed to the identity provider here (LOGIN_FORWARD_PARAMS).`);
    }
    request.forward[name] = checkedValue(name, value);
  }
  return request;
}

/** A prompt the IdP's discovery document does not list (when it lists any) would only end on its error page. */
export function assertPromptSupported(prompt: string | undefined, promptValuesSupported: unknown): void {
  if (prompt === undefined || !Array.isArray(promptValuesSupported)) return;
  if (!promptValuesSupported.includes(prompt)) {
    throw new LoginParameterError('invalid_login_parameter', 'prompt', `The identity provider does not support prompt=${prompt}.`);
  }
}

function checkedValue(name: LoginParameter, value: string): string {
  switch (name) {
    case 'prompt':
      if (!(PROMPT_VALUES as readonly string[]).includes(value)) {
        throw new LoginParameterError('invalid_login_parameter', name, `prompt must be one of ${PROMPT_VALUES.join(', ')}.`);
      }
      return value;
    case 'max_age':
      if (!NON_NEGATIVE_INTEGER.test(value)) {
        throw new LoginParameterError('invalid_login_parameter', name, 'max_age must be a whole number of seconds (0 or more).');
      }
      return String(Number(value));
    case 'acr_values':
    case 'login_hint':
    case 'ui_locales':
      if (!PRINTABLE_ASCII.test(value)) {
        throw new LoginParameterError('invalid_login_parameter', name, `${name} must be 1 to 255 printable ASCII characters.`);
      }
      return value;
  }
}

function isLoginParameter(name: string): name is LoginParameter {
  return KNOWN.has(name);
}

/** A parameter name the client chose, safe to repeat in an answer. */
function asPrintable(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '?').slice(0, 64);
}
