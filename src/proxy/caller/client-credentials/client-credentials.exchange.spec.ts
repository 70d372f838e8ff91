import { parseBasicCredentials } from './basic-credentials';
import { reuseDeadline } from './client-credentials.exchange';

const basic = (raw: string) => `Basic ${Buffer.from(raw, 'utf8').toString('base64')}`;

describe('parseBasicCredentials', () => {
  it('reads the client id and secret', () => {
    expect(parseBasicCredentials(basic('machine:s3cret'))).toEqual({ clientId: 'machine', clientSecret: 's3cret' });
  });

  it('form-decodes both parts, so a colon or space can be part of them', () => {
    expect(parseBasicCredentials(basic('my%3Aclient:a+b%2Bc%3Ad'))).toEqual({ clientId: 'my:client', clientSecret: 'a b+c:d' });
  });

  it('keeps everything after the first colon as the secret', () => {
    expect(parseBasicCredentials(basic('machine:a:b'))).toEqual({ clientId: 'machine', clientSecret: 'a:b' });
  });

  it('accepts any case of the scheme and missing padding', () => {
    const encoded = Buffer.from('machine:s3cret1').toString('base64').replace(/=+$/, '');

    expect(parseBasicCredentials(`basic ${encoded}`)).toEqual({ clientId: 'machine', clientSecret: 's3cret1' });
  });

  it.each([
    ['no header', undefined],
    ['another scheme', 'Bearer abc.def.ghi'],
    ['no credentials', 'Basic '],
    ['characters outside base64', 'Basic bWFj*aGluZTpz'],
    ['no colon', basic('machine')],
    ['an empty client id', basic(':secret')],
    ['an empty secret', basic('machine:')],
    ['a broken percent-escape', basic('machine:%zz')],
    ['a control character', basic('machine%00:secret')],
    ['bytes that are not UTF-8', `Basic ${Buffer.from([0x6d, 0x3a, 0xff, 0xfe]).toString('base64')}`],
    ['an oversized header', basic(`machine:${'x'.repeat(5000)}`)],
  ])('refuses %s', (_case, header) => {
    expect(parseBasicCredentials(header)).toBeUndefined();
  });
});

describe('reuseDeadline', () => {
  it('stops reuse 30 seconds before expiry for short-lived tokens', () => {
    expect(reuseDeadline(0, 300_000)).toBe(270_000);
  });

  it('stops reuse at 90 % of the lifetime for long-lived tokens', () => {
    expect(reuseDeadline(0, 3_600_000)).toBe(3_240_000);
  });
});
