import { describe, expect, it } from 'vitest';
import { parseProxyHeader } from './proxyProtocol.js';

const v2 = (command: number, family: number, address: number[]): Buffer => {
  const signature = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
  const length = Buffer.alloc(2);
  length.writeUInt16BE(address.length);
  return Buffer.from([...signature, 0x20 | command, family, ...length, ...address]);
};

describe('parseProxyHeader', () => {
  it('reads v1 TCP4, TCP6 and UNKNOWN lines, with their length', () => {
    const line = 'PROXY TCP4 203.0.113.7 10.0.0.1 51234 443\r\n';
    expect(parseProxyHeader(Buffer.from(`${line}GET / HTTP/1.1\r\n`))).toEqual({
      length: line.length,
      address: '203.0.113.7',
    });
    expect(parseProxyHeader(Buffer.from('PROXY TCP6 2001:db8::7 2001:db8::1 51234 443\r\n'))).toMatchObject({
      address: '2001:db8::7',
    });
    expect(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n'))).toEqual({ length: 15, address: undefined });
  });

  it('asks for more while a header may still be arriving', () => {
    for (const partial of ['P', 'PROX', 'PROXY ', 'PROXY TCP4 203.0.113.7 10.0.0.1 512']) {
      expect(parseProxyHeader(Buffer.from(partial))).toBe('more');
    }
    expect(parseProxyHeader(v2(1, 0x11, [203, 0, 113, 7, 10, 0, 0, 1, 0, 80, 1, 187]).subarray(0, 20))).toBe(
      'more',
    );
    expect(parseProxyHeader(Buffer.from([0x0d, 0x0a, 0x0d]))).toBe('more');
  });

  it('refuses what is not a valid header', () => {
    for (const bad of [
      'GET / HTTP/1.1\r\n',
      'PROXY TCP4 not-an-ip 10.0.0.1 1 2\r\n',
      'PROXY TCP4 2001:db8::7 10.0.0.1 1 2\r\n', // family and address disagree
      'PROXY TCP4 203.0.113.7 10.0.0.1 1 99999\r\n',
      'PROXY TCP4 203.0.113.7 10.0.0.1 1 2 extra\r\n',
      'PROXY UDP4 203.0.113.7 10.0.0.1 1 2\r\n',
      `PROXY TCP4 ${'1'.repeat(120)}`, // no CRLF within 107 bytes
    ]) {
      expect(parseProxyHeader(Buffer.from(bad))).toBeUndefined();
    }
  });

  it('reads v2 PROXY over TCP4 and TCP6, LOCAL, and refuses another version', () => {
    const tcp4 = v2(1, 0x11, [203, 0, 113, 7, 10, 0, 0, 1, 0xc8, 0x22, 0x01, 0xbb]);
    expect(parseProxyHeader(Buffer.concat([tcp4, Buffer.from('GET /')]))).toEqual({
      length: 28,
      address: '203.0.113.7',
    });
    const six = [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 7];
    const tcp6 = v2(1, 0x21, [...six, ...six, 0, 80, 0, 80]);
    expect(parseProxyHeader(tcp6)).toEqual({ length: 52, address: '2001:db8::7' });
    expect(parseProxyHeader(v2(0, 0x00, []))).toEqual({ length: 16, address: undefined });
    const v1Version = Buffer.from(tcp4);
    v1Version[12] = 0x11;
    expect(parseProxyHeader(v1Version)).toBeUndefined();
  });
});

describe('parseProxyHeader at its edges', () => {
  it('gives nothing for no bytes, and waits on a v1 line up to its 107-byte limit', () => {
    expect(parseProxyHeader(Buffer.alloc(0))).toBeUndefined();
    expect(parseProxyHeader(Buffer.from('PROXY'))).toBe('more');
    expect(parseProxyHeader(Buffer.from(`PROXY ${'1'.repeat(100)}`))).toBe('more'); // 106 bytes
    expect(parseProxyHeader(Buffer.from(`PROXY ${'1'.repeat(101)}`))).toBeUndefined(); // 107, no CRLF
  });

  it('checks both addresses against the family, and both ports', () => {
    const line = (rest: string) => Buffer.from(`PROXY ${rest}\r\n`);
    expect(parseProxyHeader(line('TCP6 203.0.113.7 10.0.0.1 1 2'))).toBeUndefined();
    expect(parseProxyHeader(line('TCP4 203.0.113.7 not-ip 1 2'))).toBeUndefined();
    expect(parseProxyHeader(line('TCP4 203.0.113.7 10.0.0.1 65535 0'))).toMatchObject({
      address: '203.0.113.7',
    });
    for (const ports of ['65536 1', '1 65536', 'x 1', '1x 1', 'x1 1', '1 ', '123456 1']) {
      expect(parseProxyHeader(line(`TCP4 203.0.113.7 10.0.0.1 ${ports}`))).toBeUndefined();
    }
  });

  it('names no address for v2 commands and families it cannot route by, or short address blocks', () => {
    expect(parseProxyHeader(v2(2, 0x11, [203, 0, 113, 7, 10, 0, 0, 1, 0, 80, 0, 80]))).toBeUndefined();
    expect(parseProxyHeader(v2(1, 0x11, [203, 0, 113, 7]))).toEqual({ length: 20, address: undefined });
    expect(parseProxyHeader(v2(1, 0x21, Array(32).fill(1)))).toEqual({ length: 48, address: undefined });
    expect(parseProxyHeader(v2(1, 0x31, Array(216).fill(0)))).toEqual({ length: 232, address: undefined });
    expect(parseProxyHeader(v2(1, 0x12, [203, 0, 113, 7, 10, 0, 0, 1, 0, 80, 0, 80]))).toMatchObject({
      address: '203.0.113.7',
    });
  });
});
