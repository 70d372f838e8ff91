import { Writable } from 'node:stream';
import pino from 'pino';
import { CENSOR, REDACT_PATHS, redactParameters, redactUrl, SECRET_PARAMETERS } from './log-redaction';

describe('log redaction', () => {
  it('covers every parameter the contract lists', () => {
    const contract = ['password', 'client_secret', 'api_key', 'access_token', 'refresh_token', 'id_token', 'code', 'state', 'sid', 'logout_token',
      'login_hint', 'id_token_hint', 'client_assertion', 'subject_token', 'actor_token', 'request', 'request_uri'];
    expect(SECRET_PARAMETERS).toEqual(expect.arrayContaining(contract));
  });

  it.each(SECRET_PARAMETERS)('censors %s in a query string, whatever its case and however often it appears', (name) => {
    const sut = redactUrl(`/auth/callback?keep=1&${name}=s3cret&${name.toUpperCase()}=s3cret&${name}=again`);
    expect(sut).not.toContain('s3cret');
    expect(sut).not.toContain('again');
    expect(sut).toContain('keep=1');
  });

  it('censors secret fields of a form body and leaves other text alone', () => {
    expect(redactParameters('grant_type=password&username=u&password=p%40ss&client_secret=x')).toBe(
      `grant_type=password&username=u&password=${encodeURIComponent(CENSOR)}&client_secret=${encodeURIComponent(CENSOR)}`,
    );
    expect(redactParameters('a=1&b=2')).toBe('a=1&b=2');
  });

  it('censors secret keys of logged objects, request data included, and keeps error codes', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) });
    const sut = pino({ redact: { paths: REDACT_PATHS, censor: CENSOR } }, sink);

    sut.info({
      client_secret: 's1',
      api_key: 's2',
      password: 's3',
      cause: { refresh_token: 's4', id_token: 's5', body: { code: 's6', state: 's7' } },
      body: { sid: 's8', logout_token: 's9', code: 's10', access_token: 's11' },
      query: { code: 's12', login_hint: 's13', request_uri: 's14' },
      form: { client_assertion: 's15', subject_token: 's16', actor_token: 's17', request: 's18' },
      err: { code: 'ECONNREFUSED' },
    });

    const logged = lines.join('');
    for (let secret = 1; secret <= 18; secret += 1) expect(logged).not.toContain(`"s${secret}"`);
    expect(logged).toContain('ECONNREFUSED');
  });
});
