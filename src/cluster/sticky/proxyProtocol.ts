// The PROXY protocol (HAProxy's, versions 1 and 2), which a TCP proxy (HAProxy `send-proxy`,
// nginx `proxy_protocol on`, cloud load balancers) writes before the client's bytes to say who
// the client is. The router reads it only from trusted proxies, and strips it before the worker's
// HTTP parser sees the connection.
// Spec: https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt
import { ipType } from './trustedProxies.js';

/** A parsed header: how many bytes it took, and the client address (none for LOCAL/UNKNOWN). */
export type ProxyHeader = { readonly length: number; readonly address: string | undefined };

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
/** A v1 line is at most 107 bytes, CRLF included. */
const V1_MAX = 107;
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/**
 * Reads a PROXY header at the start of `bytes`: the header, `'more'` when `bytes` may be the
 * start of one (wait for more), or `undefined` when they are not a (valid) PROXY header.
 * @internal
 */
export function parseProxyHeader(bytes: Buffer): ProxyHeader | 'more' | undefined {
  if (startsLike(bytes, V1_PREFIX)) return bytes.length < V1_PREFIX.length ? 'more' : parseV1(bytes);
  if (startsLike(bytes, V2_SIGNATURE)) return bytes.length < 16 ? 'more' : parseV2(bytes);
  return undefined;
}

/** Whether `bytes` and `prefix` agree on their common length. */
function startsLike(bytes: Buffer, prefix: Buffer): boolean {
  const n = Math.min(bytes.length, prefix.length);
  return n > 0 && bytes.subarray(0, n).equals(prefix.subarray(0, n));
}

function parseV1(bytes: Buffer): ProxyHeader | 'more' | undefined {
  const end = bytes.subarray(0, V1_MAX).indexOf('\r\n', 0, 'latin1');
  if (end === -1) return bytes.length < V1_MAX ? 'more' : undefined;
  const [, family, source, destination, sourcePort, destinationPort, ...extra] = bytes
    .subarray(0, end)
    .toString('latin1')
    .split(' ');
  const length = end + 2;
  if (family === 'UNKNOWN') return { length, address: undefined };
  const expected = family === 'TCP4' ? 'ipv4' : family === 'TCP6' ? 'ipv6' : undefined;
  if (
    expected === undefined ||
    extra.length > 0 ||
    ipType(source ?? '') !== expected ||
    ipType(destination ?? '') !== expected ||
    !isPort(sourcePort) ||
    !isPort(destinationPort)
  ) {
    return undefined;
  }
  return { length, address: source };
}

function parseV2(bytes: Buffer): ProxyHeader | 'more' | undefined {
  const versionAndCommand = bytes[12] as number;
  const family = bytes[13] as number;
  if (versionAndCommand >> 4 !== 2) return undefined;
  const length = 16 + bytes.readUInt16BE(14);
  if (bytes.length < length) return 'more';
  const command = versionAndCommand & 0x0f;
  if (command === 0) return { length, address: undefined }; // LOCAL: the proxy's own check
  if (command !== 1) return undefined;
  const transport = family >> 4;
  if (transport === 1 && length >= 16 + 12) {
    return { length, address: [...bytes.subarray(16, 20)].join('.') };
  }
  if (transport === 2 && length >= 16 + 36) {
    const groups: string[] = [];
    for (let i = 0; i < 8; i++) groups.push(bytes.readUInt16BE(16 + 2 * i).toString(16));
    // The URL parser writes an IPv6 address the canonical way (`::1`), as a socket reports it.
    return { length, address: new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1) };
  }
  return { length, address: undefined }; // AF_UNSPEC or AF_UNIX: no IP to route by
}

function isPort(value: string | undefined): boolean {
  return value !== undefined && /^\d{1,5}$/.test(value) && Number(value) <= 65_535;
}
