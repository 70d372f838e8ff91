import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';

/** What the dev IdP can assert about a login (`acr`), weakest first: a password, or a password and a one-time code. */
export const ACR_PASSWORD = 'urn:dev:loa:1fa';
export const ACR_SECOND_FACTOR = 'urn:dev:loa:2fa';
export const ACR_VALUES = [ACR_PASSWORD, ACR_SECOND_FACTOR] as const;

/** Every user's second factor: the login page asks for it when a client requests ACR_SECOND_FACTOR. */
export const ONE_TIME_CODE = '123456';

function strength(acr: unknown): number {
  return typeof acr === 'string' ? ACR_VALUES.indexOf(acr as (typeof ACR_VALUES)[number]) : -1;
}

/** The levels among a request's `acr_values` that this IdP knows (others it cannot obtain, and ignores like Okta). */
export function requestedLevels(acrValues: unknown): string[] {
  return typeof acrValues === 'string' ? acrValues.split(' ').filter((value) => strength(value) >= 0) : [];
}

export function needsSecondFactor(acrValues: unknown): boolean {
  const requested = requestedLevels(acrValues);
  return requested.length > 0 && requested.every((value) => value === ACR_SECOND_FACTOR);
}

/**
 * oidc-provider treats `acr_values` as voluntary and would reuse a password-only IdP session for a request that asks
 * for a second factor; like Okta, the dev IdP asks the user to sign in again instead (`login_required` with prompt=none).
 */
export function loginPolicy(): ReturnType<typeof interactionPolicy.base> {
  const policy = interactionPolicy.base();
  policy.get('login')?.checks.push(
    new interactionPolicy.Check('acr_values', 'the requested authentication level is not met', 'login_required', (ctx: KoaContextWithOIDC) => {
      const { params, session, result } = ctx.oidc;
      const requested = requestedLevels(params?.['acr_values']);
      if (requested.length === 0 || result?.login) return false;
      const lowest = Math.min(...requested.map(strength));
      return strength(session?.acr) < lowest;
    }),
  );
  return policy;
}
