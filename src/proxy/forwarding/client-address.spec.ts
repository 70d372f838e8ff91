import type { IncomingMessage } from 'node:http';
import { clientAddressOf } from './client-address';

function request(remoteAddress: string, forwardedFor?: string): IncomingMessage {
  return { socket: { remoteAddress }, connection: { remoteAddress }, headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} } as unknown as IncomingMessage;
}

describe('clientAddressOf', () => {
  it('ignores X-Forwarded-For when no proxy is trusted', () => {
    const sut = clientAddressOf(false);

    expect(sut(request('10.0.0.5', '203.0.113.7'))).toBe('10.0.0.5');
  });

  it('takes the leftmost entry when every hop is trusted', () => {
    const sut = clientAddressOf(true);

    expect(sut(request('10.0.0.5', '203.0.113.7, 10.0.0.9'))).toBe('203.0.113.7');
  });

  it('walks back as many hops as it is told to trust', () => {
    const sut = clientAddressOf(1);

    expect(sut(request('10.0.0.5', '203.0.113.7, 198.51.100.2'))).toBe('198.51.100.2');
  });

  it('stops at the first address outside the trusted subnets', () => {
    const sut = clientAddressOf('loopback, 10.0.0.0/8');

    expect(sut(request('10.0.0.5', '203.0.113.7, 198.51.100.2, 10.1.1.1'))).toBe('198.51.100.2');
    expect(sut(request('192.0.2.1', '203.0.113.7'))).toBe('192.0.2.1');
  });
});
