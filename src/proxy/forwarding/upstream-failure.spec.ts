import { classifyUpstreamFailure, errorCode } from './upstream-failure';

function failing(code: string, name = 'Error'): Error {
  return Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:8080'), { code, name });
}

describe('classifyUpstreamFailure', () => {
  it.each(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT'])('reports %s as a 504 timeout', (code) => {
    expect(classifyUpstreamFailure(failing(code))).toMatchObject({ status: 504, code: 'upstream_timeout' });
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'])('reports %s as a 502', (code) => {
    expect(classifyUpstreamFailure(failing(code))).toMatchObject({ status: 502, code: 'upstream_unreachable' });
  });

  it('reports anything unknown as a 502 and never echoes the cause', () => {
    const sut = classifyUpstreamFailure('boom');
    expect(sut.status).toBe(502);
    expect(sut.message).not.toContain('boom');
  });
});

describe('errorCode', () => {
  it('prefers the code, then the name, and never the message', () => {
    expect(errorCode(failing('ECONNREFUSED'))).toBe('ECONNREFUSED');
    expect(errorCode(new DOMException('gone', 'AbortError'))).toBe('AbortError');
    expect(errorCode({ code: 7 })).toBe('unknown');
    expect(errorCode(undefined)).toBe('unknown');
  });
});
