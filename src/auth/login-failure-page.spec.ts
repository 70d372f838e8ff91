import { escapeHtml, loginFailurePage, retryLoginUrl } from './login-failure-page';

describe('the failed-login page', () => {
  it('escapes every value it shows', () => {
    const sut = loginFailurePage(
      { status: 401, headers: {}, body: { error: '<img src=x onerror=alert(1)>', message: 'a "quoted" <b>message</b> & more' } },
      '/auth/login?returnTo=%2F"><script>alert(1)</script>',
    );
    expect(sut).not.toContain('<img');
    expect(sut).not.toContain('<script>');
    expect(sut).not.toContain('<b>');
    expect(sut).toContain('a &quot;quoted&quot; &lt;b&gt;message&lt;/b&gt; &amp; more');
    expect(sut).toContain('href="/auth/login?returnTo=%2F&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
  });

  it('sends "try again" back to the page the login started from, encoded, or to a plain login', () => {
    expect(retryLoginUrl('/orders?tab=open#x')).toBe('/auth/login?returnTo=%2Forders%3Ftab%3Dopen%23x');
    expect(retryLoginUrl('/')).toBe('/auth/login');
    expect(retryLoginUrl(undefined)).toBe('/auth/login');
  });

  it.each([
    ['&', '&amp;'],
    ['<', '&lt;'],
    ['>', '&gt;'],
    ['"', '&quot;'],
    ["'", '&#39;'],
  ])('escapes %s', (raw, escaped) => {
    expect(escapeHtml(`a${raw}b`)).toBe(`a${escaped}b`);
  });
});
