import { basicCredentialPart, clientSecretBasic } from './client-authentication';

describe('basicCredentialPart', () => {
  it('leaves the RFC 3986 unreserved characters as they are', () => {
    expect(basicCredentialPart('AZaz09-._~')).toBe('AZaz09-._~');
  });

  it("percent-encodes everything else, including the characters encodeURIComponent keeps (!*'())", () => {
    expect(basicCredentialPart("a:b c+d/%!*'()")).toBe('a%3Ab%20c%2Bd%2F%25%21%2A%27%28%29');
  });

  it('encodes non-ASCII characters as their UTF-8 bytes', () => {
    expect(basicCredentialPart('é😀')).toBe('%C3%A9%F0%9F%98%80');
  });
});

describe('clientSecretBasic', () => {
  it('sends Basic base64(id:secret) with both parts encoded, and adds nothing to the body', () => {
    const headers = new Headers();
    const body = new URLSearchParams();
    clientSecretBasic('s3cr-et.with_~dash:colon')({ issuer: 'https://idp.test' }, { client_id: 'my-client' }, body, headers);

    const encoded = headers.get('authorization')?.replace(/^Basic /, '') ?? '';
    expect(Buffer.from(encoded, 'base64').toString('utf8')).toBe('my-client:s3cr-et.with_~dash%3Acolon');
    expect([...body.keys()]).toEqual([]);
  });
});
