import { describe, expect, it } from 'vitest';
import { clientOf } from './clientOf.js';
import { trustedProxyMatcher } from './trustedProxies.js';

const trusted = trustedProxyMatcher('p', ['127.0.0.1']);
const request = (headers = '') => `GET / HTTP/1.1\r\nHost: x\r\n${headers}\r\n`;

describe('clientOf', () => {
  it('keeps the socket’s address for a peer that is not a trusted proxy', () => {
    const bytes = Buffer.from(request('X-Forwarded-For: 203.0.113.7\r\n'));
    expect(clientOf('198.51.100.1', bytes, undefined)).toEqual({
      client: '198.51.100.1',
      rest: bytes,
      forwarded: false,
      missingProxyHeader: false,
    });
  });

  it('takes the X-Forwarded-For client, and nothing from a half-read head or a bad header', () => {
    const proxy = { trusted, proxyProtocol: false };
    expect(
      clientOf('127.0.0.1', Buffer.from(request('X-Forwarded-For: 203.0.113.7\r\n')), proxy),
    ).toMatchObject({
      client: '203.0.113.7',
      forwarded: true,
    });
    const halfRead = Buffer.from('GET / HTTP/1.1\r\nX-Forwarded-For: 203.0.113.7\r\n');
    expect(clientOf('127.0.0.1', halfRead, proxy)).toMatchObject({ client: '127.0.0.1', forwarded: false });
    const garbage = Buffer.from(request('X-Forwarded-For: nobody\r\n'));
    expect(clientOf('127.0.0.1', garbage, proxy)).toMatchObject({ client: '127.0.0.1', forwarded: false });
  });

  it('strips a PROXY header; UNKNOWN keeps the socket’s address; none is counted as missing', () => {
    const proxy = { trusted, proxyProtocol: true };
    const body = Buffer.from(request());
    const named = clientOf(
      '127.0.0.1',
      Buffer.concat([Buffer.from('PROXY TCP4 203.0.113.7 127.0.0.1 1 2\r\n'), body]),
      proxy,
    );
    expect(named).toEqual({ client: '203.0.113.7', rest: body, forwarded: true, missingProxyHeader: false });
    const unknown = clientOf('127.0.0.1', Buffer.concat([Buffer.from('PROXY UNKNOWN\r\n'), body]), proxy);
    expect(unknown).toEqual({ client: '127.0.0.1', rest: body, forwarded: false, missingProxyHeader: false });
    expect(clientOf('127.0.0.1', body, proxy)).toEqual({
      client: '127.0.0.1',
      rest: body,
      forwarded: false,
      missingProxyHeader: true,
    });
  });
});
