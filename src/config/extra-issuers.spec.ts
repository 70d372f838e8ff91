import { loadAppConfig } from './app-config';
import { MINIMAL_ENV as valid, problemsOf as problems } from '../../test/support/config-env';

describe('OIDC_USERINFO and BEARER_EXTRA_ISSUERS', () => {
  it('are off and empty by default', () => {
    const sut = loadAppConfig(valid);
    expect(sut.ok && sut.config.oidc).toMatchObject({ userinfo: false, extraIssuers: [] });
  });

  it('reads issuers with and without their audience, splitting each at its first =', () => {
    const sut = loadAppConfig({
      ...valid,
      OIDC_USERINFO: 'true',
      BEARER_EXTRA_ISSUERS: ' https://partner.example/oauth2/abc=api://orders=v2 , http://127.0.0.1:9000',
    });
    expect(sut.ok && sut.config.oidc).toMatchObject({
      userinfo: true,
      extraIssuers: [{ issuer: 'https://partner.example/oauth2/abc', audience: 'api://orders=v2' }, { issuer: 'http://127.0.0.1:9000' }],
    });
  });

  it.each([
    ['not a URL', 'partner'],
    ['another scheme', 'ftp://partner.example'],
    ['a query', 'https://partner.example/?tenant=secret-tenant'],
    ['an empty audience', 'https://partner.example='],
  ])('refuses an issuer with %s, without repeating the value', (_case, value) => {
    const found = problems(loadAppConfig({ ...valid, BEARER_EXTRA_ISSUERS: value }));
    expect(found).toEqual([expect.stringMatching(/^BEARER_EXTRA_ISSUERS\.0: must be issuer\[=audience\] entries/)]);
    expect(found.join()).not.toContain('secret-tenant');
  });

  it('refuses an issuer named twice, or the main issuer', () => {
    expect(problems(loadAppConfig({ ...valid, BEARER_EXTRA_ISSUERS: 'https://p.example,https://p.example=api://x' }))).toEqual([
      'BEARER_EXTRA_ISSUERS: must not name an issuer twice',
    ]);
    expect(problems(loadAppConfig({ ...valid, BEARER_EXTRA_ISSUERS: valid.OIDC_ISSUER }))).toEqual([
      'BEARER_EXTRA_ISSUERS: must not name OIDC_ISSUER, whose tokens are accepted already',
    ]);
  });

  it('refuses a userinfo switch that is not a boolean', () => {
    expect(problems(loadAppConfig({ ...valid, OIDC_USERINFO: 'yes please' }))).toEqual(['OIDC_USERINFO: must be true or false']);
  });
});
