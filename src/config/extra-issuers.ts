import { z } from 'zod';

/** One of BEARER_EXTRA_ISSUERS: an issuer whose JWT access tokens bearer routes accept, and the `aud` they must carry. */
export interface ExtraIssuer {
  issuer: string;
  /** Else OIDC_AUDIENCE applies, as to the main issuer's tokens. */
  audience?: string;
}

const FORM = 'must be issuer[=audience] entries separated by commas, each issuer an http(s) URL without query or fragment';

/**
 * `issuer[=audience],…`. An issuer identifier has no query or fragment (RFC 8414 §2), so its first `=` starts the
 * audience. The messages never repeat a value.
 */
export const extraIssuers = z
  .string()
  .transform((value) => value.split(',').map((entry) => entry.trim()).filter(Boolean))
  .pipe(z.array(z.string().transform(toExtraIssuer)).min(1, 'must list at least one issuer'))
  .superRefine((entries, ctx) => {
    const issuers = entries.map(({ issuer }) => issuer);
    if (new Set(issuers).size !== issuers.length) ctx.addIssue({ code: 'custom', message: 'must not name an issuer twice' });
  });

function toExtraIssuer(entry: string, ctx: z.RefinementCtx): ExtraIssuer {
  const separator = entry.indexOf('=');
  const issuer = separator === -1 ? entry : entry.slice(0, separator);
  const audience = separator === -1 ? undefined : entry.slice(separator + 1).trim();
  const url = URL.canParse(issuer) ? new URL(issuer) : undefined;
  const valid = url !== undefined && (url.protocol === 'https:' || url.protocol === 'http:') && !url.search && !url.hash && !issuer.includes('?');
  if (!valid || audience === '') {
    ctx.addIssue({ code: 'custom', message: FORM });
    return z.NEVER;
  }
  return audience === undefined ? { issuer } : { issuer, audience };
}
