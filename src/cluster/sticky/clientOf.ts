import { parseProxyHeader } from './proxyProtocol.js';
import { headEnd, headerValue } from './stickyKey.js';
import type { AddressMatcher } from './trustedProxies.js';
import { forwardedClient } from './trustedProxies.js';

/** Who a connection's client is, and the bytes to hand on to the worker. @internal */
export type ClientOf = {
  readonly client: string;
  readonly rest: Buffer;
  /** The client was named by a trusted proxy. */
  readonly forwarded: boolean;
  /** `proxyProtocol` was on and the proxy sent no valid PROXY header. */
  readonly missingProxyHeader: boolean;
};

/**
 * The client of a connection whose first `bytes` were read: `own` (the socket's address), or,
 * when `proxy` is given (the peer is a trusted proxy), the PROXY header's source address (the
 * header is stripped from `rest`) or the `X-Forwarded-For` client.
 * @internal
 */
export function clientOf(
  own: string,
  bytes: Buffer,
  proxy: { readonly trusted: AddressMatcher | undefined; readonly proxyProtocol: boolean } | undefined,
): ClientOf {
  const plain = { client: own, rest: bytes, forwarded: false, missingProxyHeader: false };
  if (proxy?.trusted === undefined) return plain;
  if (proxy.proxyProtocol) {
    const header = parseProxyHeader(bytes);
    if (header === undefined || header === 'more') return { ...plain, missingProxyHeader: true };
    const rest = bytes.subarray(header.length);
    if (header.address === undefined) return { ...plain, rest };
    return { client: header.address, rest, forwarded: true, missingProxyHeader: false };
  }
  const end = headEnd(bytes);
  if (end === -1) return plain;
  const head = bytes.subarray(0, end).toString('latin1');
  const named = forwardedClient(headerValue(head, 'x-forwarded-for'), proxy.trusted);
  return named === undefined ? plain : { ...plain, client: named, forwarded: true };
}
