import { ClientSecretPost, type ClientAuth } from 'openid-client';

const RESERVED_OR_OTHER = /[^A-Za-z0-9\-._~]/gu;

/**
 * RFC 6749 §2.3.1 asks for form-encoding before Basic; openid-client also escapes `-._~!*'()`. Servers that
 * percent-decode rather than form-decode (glewlwyd and older ones) then refuse such secrets, so only what RFC 3986
 * does not leave unreserved is escaped: the result reads the same under either decoding.
 */
export function basicCredentialPart(value: string): string {
  return value.replace(RESERVED_OR_OTHER, (character) => percentEncoded(character));
}

function percentEncoded(character: string): string {
  return [...Buffer.from(character, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

export function clientSecretBasic(clientSecret: string): ClientAuth {
  return (_server, client, _body, headers) => {
    const credentials = `${basicCredentialPart(client.client_id)}:${basicCredentialPart(clientSecret)}`;
    headers.set('authorization', `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`);
  };
}

export function clientAuthentication(method: 'client_secret_basic' | 'client_secret_post', clientSecret: string): ClientAuth {
  return method === 'client_secret_post' ? ClientSecretPost(clientSecret) : clientSecretBasic(clientSecret);
}
