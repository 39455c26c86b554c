// Which peers may tell the router who the client is (X-Forwarded-For, the PROXY protocol): an
// explicit list of addresses and CIDR ranges. Anyone else could claim any address, so by default
// nobody is trusted and the socket's own address is the client's.
import net from 'node:net';
import { InvalidOptionError } from '../../core/errors/InvalidOptionError.js';
import { addressKey } from './stickyKey.js';

/** Whether an address (as a socket reports it) is a trusted proxy. @internal */
export type AddressMatcher = (address: string) => boolean;

/** Most entries in `trustedProxies`: a list, not a database. */
const MAX_ENTRIES = 1_000;

/**
 * Checks `list` (IPv4/IPv6 addresses and CIDR ranges such as `10.0.0.0/8`) and returns its matcher.
 * @throws {@link InvalidOptionError} naming the first bad entry.
 * @internal
 */
export function trustedProxyMatcher(path: string, list: unknown): AddressMatcher {
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_ENTRIES) {
    throw new InvalidOptionError(path, `an array of 1 to ${MAX_ENTRIES} IP addresses or CIDR ranges`, list);
  }
  const blocks = new net.BlockList();
  for (const [i, entry] of list.entries()) {
    const bad = (): InvalidOptionError =>
      new InvalidOptionError(`${path}[${i}]`, "an IP address or CIDR range, e.g. '10.0.0.0/8'", entry);
    if (typeof entry !== 'string') throw bad();
    const [address = '', bits, extra] = entry.split('/');
    const type = ipType(address);
    if (type === undefined || extra !== undefined) throw bad();
    if (bits === undefined) {
      blocks.addAddress(address, type);
      continue;
    }
    const prefix = /^\d{1,3}$/.test(bits) ? Number(bits) : -1;
    if (prefix < 0 || prefix > (type === 'ipv4' ? 32 : 128)) throw bad();
    blocks.addSubnet(address, prefix, type);
  }
  return (address) => {
    const key = addressKey(address);
    const type = ipType(key);
    return type !== undefined && blocks.check(key, type);
  };
}

/** `'ipv4'`, `'ipv6'`, or `undefined` for what is not an IP address. @internal */
export function ipType(address: string): 'ipv4' | 'ipv6' | undefined {
  return net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : undefined;
}

/**
 * The client address an `X-Forwarded-For` value names, read from the right: each trusted proxy
 * appends the address it received from, so the first hop that is not a trusted proxy is the
 * client (hops further left were written by the client itself and prove nothing). `undefined`
 * for a missing or malformed value; the leftmost hop when every hop is trusted.
 * @internal
 */
export function forwardedClient(header: string | undefined, trusted: AddressMatcher): string | undefined {
  if (header === undefined) return undefined;
  const hops = header.split(',').map((hop) => withoutPort(hop.trim()));
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (ipType(hop) === undefined) return undefined;
    if (!trusted(hop) || i === 0) return addressKey(hop);
  }
  return undefined;
}

/** `1.2.3.4:80` → `1.2.3.4`, `[::1]:80` → `::1`; anything else unchanged. */
function withoutPort(hop: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hop);
  if (bracketed) return bracketed[1] as string;
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(hop);
  return v4 ? (v4[1] as string) : hop;
}
