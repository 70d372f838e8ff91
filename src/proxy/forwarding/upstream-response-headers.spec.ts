import { filterResponseHeaders } from './upstream-headers';

describe('filterResponseHeaders', () => {
  it('drops hop-by-hop headers and those named in Connection, and keeps set-cookie as received', () => {
    const sut = filterResponseHeaders({
      connection: 'keep-alive, x-hop',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      trailer: 'x-checksum',
      upgrade: 'h2c',
      'proxy-authenticate': 'Basic',
      'x-hop': 'gone',
      'content-type': 'application/json',
      'set-cookie': ['a=1; Path=/; HttpOnly', 'b=2; Secure'],
      'www-authenticate': 'Bearer error="invalid_token"',
      'cache-control': 'no-store',
      'x-missing': undefined,
    });
    expect(sut).toEqual({
      'content-type': 'application/json',
      'set-cookie': ['a=1; Path=/; HttpOnly', 'b=2; Secure'],
      'www-authenticate': 'Bearer error="invalid_token"',
      'cache-control': 'no-store',
    });
  });

  it('keeps the content length of a fixed-length response', () => {
    expect(filterResponseHeaders({ 'content-length': '12', Connection: 'close' })).toEqual({ 'content-length': '12' });
  });
});
