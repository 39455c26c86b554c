import { isIPv4, isIPv6 } from 'node:net';

/**
 * The key a rate limit counts a client address under. An IPv4 address is itself (one wrapped in
 * IPv6, `::ffff:203.0.113.7`, unwrapped first); an IPv6 address is cut to its `/ipv6Subnet`
 * prefix, since one customer is routinely given a whole /56 or /64 and would otherwise get a new
 * limit with every address of it (the subnet-rotation bypass express-rate-limit 8 and
 * @fastify/rate-limit closed). Anything else (no address, a Unix socket) is returned as is.
 *
 * @param ipv6Subnet - prefix length 1-128, or `false` to keep whole IPv6 addresses.
 */
export function addressKey(address: string, ipv6Subnet: number | false): string {
  // Every request with an IPv4 peer comes here: it has no colon and is its own key, unparsed.
  if (!address.includes(':')) return address;
  const bare = address.split('%')[0] ?? address; // a zone (`fe80::1%eth0`) names a local link
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped?.[1] !== undefined && isIPv4(mapped[1])) return mapped[1];
  if (ipv6Subnet === false || !isIPv6(bare)) return address;
  const groups = ipv6Groups(bare);
  const masked = groups.map((group, i) => {
    const bits = ipv6Subnet - 16 * i;
    // Stryker disable next-line EqualityOperator: at exactly 16 bits the mask below keeps the whole group too
    if (bits >= 16) return group;
    // Stryker disable next-line EqualityOperator: at exactly 0 bits the mask below gives 0 too
    if (bits <= 0) return 0;
    return group & (0xffff << (16 - bits)) & 0xffff;
  });
  return `${masked.map((g) => g.toString(16)).join(':')}/${ipv6Subnet}`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, an IPv4 tail converted). */
function ipv6Groups(address: string): number[] {
  const [head = '', tail] = address.split('::');
  const parse = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((piece) => {
          if (!piece.includes('.')) return [Number.parseInt(piece, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = piece.split('.').map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const first = parse(head);
  if (tail === undefined) return first;
  const last = parse(tail);
  return [...first, ...new Array<number>(8 - first.length - last.length).fill(0), ...last];
}
