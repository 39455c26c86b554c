import { describe, expect, it } from 'vitest';
import { addressKey, cookieValue, headEnd, headerValue } from './stickyKey.js';

const head =
  'GET /x HTTP/1.1\r\nHost: a\r\nX-Client-Id:  abc \r\nCookie: a=1; sid="s 1"; b=2\r\nx-client-id: def\r\n\r\n';

describe('sticky keys', () => {
  it('finds the end of a head', () => {
    expect(headEnd(Buffer.from(head))).toBe(head.length);
    expect(headEnd(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n'))).toBe(-1);
  });
  it('reads a header case-insensitively, joining repeats, ignoring the request line and body', () => {
    expect(headerValue(head, 'x-client-id')).toBe('abc, def');
    expect(headerValue(head, 'host')).toBe('a');
    expect(headerValue(head, 'get /x http/1.1')).toBe(undefined);
    expect(headerValue(`${head}X-Late: 1\r\n`, 'x-late')).toBe(undefined);
    expect(headerValue('GET / HTTP/1.1\r\nX-Empty:   \r\n\r\n', 'x-empty')).toBe(undefined);
  });
  it('reads a cookie', () => {
    expect(cookieValue(head, 'sid')).toBe('s 1');
    expect(cookieValue(head, 'b')).toBe('2');
    expect(cookieValue(head, 'missing')).toBe(undefined);
    expect(cookieValue('GET / HTTP/1.1\r\n\r\n', 'sid')).toBe(undefined);
  });
  it('keys an IPv4-mapped address as the IPv4 address', () => {
    expect(addressKey('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(addressKey('::1')).toBe('::1');
    expect(addressKey(undefined)).toBe('');
  });
});
