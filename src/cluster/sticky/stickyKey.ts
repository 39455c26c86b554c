// Reads a routing key out of the first bytes of an HTTP/1 request, without a full parser: the
// primary only needs one header's value, and anything it cannot read is routed by address.

/** Where the head of a request ends (the index after `\r\n\r\n`), or -1. @internal */
export function headEnd(bytes: Buffer): number {
  const index = bytes.indexOf('\r\n\r\n', 0, 'latin1');
  return index === -1 ? -1 : index + 4;
}

/**
 * The value of header `name` (lower-case) in a request head, trimmed; several occurrences are
 * joined with `, ` as Node does. `undefined` when absent or empty.
 * @internal
 */
export function headerValue(head: string, name: string): string | undefined {
  const values: string[] = [];
  // Skip the request line; header names are case-insensitive.
  for (const line of head.split('\r\n').slice(1)) {
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0 || line.slice(0, colon).trim().toLowerCase() !== name) continue;
    const value = line.slice(colon + 1).trim();
    if (value !== '') values.push(value);
  }
  return values.length === 0 ? undefined : values.join(', ');
}

/** The value of cookie `name` in a request head (first occurrence), or `undefined`. @internal */
export function cookieValue(head: string, name: string): string | undefined {
  const header = headerValue(head, 'cookie');
  if (header === undefined) return undefined;
  for (const pair of header.split(/[;,]/)) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return value === '' ? undefined : value;
  }
  return undefined;
}

/** An IPv4 client seen through a dual-stack socket (`::ffff:10.0.0.1`) keys as `10.0.0.1`. @internal */
export function addressKey(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
