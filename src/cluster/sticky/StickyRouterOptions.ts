/**
 * What a sticky connection is routed by:
 * - `'address'`: the client's IP address (the socket's remote address);
 * - `{ header }`: the value of that request header, e.g. `x-forwarded-for` or a session header,
 *   for clients that all arrive from one proxy address;
 * - `{ cookie }`: the value of that cookie.
 *
 * Header and cookie keys are read from the first request of each connection (the primary reads
 * its head, then hands the bytes on); later requests on a keep-alive connection stay where the
 * first went. A connection whose first request lacks the header or cookie is routed by address.
 */
export type StickyKey =
  | 'address'
  | {
      /** The request header's name (case-insensitive), e.g. `'x-forwarded-for'`. */
      readonly header: string;
    }
  | {
      /** The cookie's name (case-sensitive), e.g. `'sid'`. */
      readonly cookie: string;
    };

/** Options of {@link StickyRouter}. */
export type StickyRouterOptions = {
  /**
   * What connections are routed by.
   * @default 'address'
   */
  readonly key?: StickyKey;
  /**
   * With a header or cookie key: how many bytes of the first request the primary reads while
   * looking for the end of its head. A head that does not end within them is routed by address,
   * with the bytes read handed on unchanged. Minimum: 64. Maximum: 1048576.
   * @default 16384 (Node's default `maxHeaderSize`)
   */
  readonly maxHeadBytes?: number;
  /**
   * With a header or cookie key: how long the primary waits for the first request's head
   * before routing the connection by address. Minimum: 1.
   * @default 10000
   */
  readonly headTimeoutMs?: number;
  /**
   * How many connections may wait while no worker is up (at start-up, or while every worker
   * restarts); beyond it new connections are closed at once. `0` closes them at once always.
   * Minimum: 0.
   * @default 1024
   */
  readonly maxPending?: number;
  /**
   * How long a connection may wait for a worker to come up before it is closed. Minimum: 1.
   * @default 10000
   */
  readonly pendingTimeoutMs?: number;
};
