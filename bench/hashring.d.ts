// Minimal types for the `hashring` anchor (3.2.x ships none; `@types/hashring` is not installed).
// Only what the benchmarks use.
declare module 'hashring' {
  type ServerWeight = number | { readonly weight?: number; readonly vnodes?: number };
  type Servers = string | readonly string[] | Readonly<Record<string, ServerWeight>>;

  type HashRingOptions = {
    /** Hashes per server. @default 40 */
    readonly 'vnode count'?: number;
    /** Port left out of the point strings (libmemcached compatibility). */
    readonly 'default port'?: number;
    /** Entries of the per-ring lookup LRU. @default 5000 */
    readonly 'max cache size'?: number;
    readonly compatibility?: 'hash_ring' | 'ketama';
    readonly replicas?: number;
  };

  class HashRing {
    constructor(
      servers?: Servers,
      algorithm?: string | ((key: string) => unknown),
      options?: HashRingOptions,
    );
    /** Server for `key`. */
    get(key: string): string;
    /** Position of the first ring point >= `hashValue`. */
    find(hashValue: number): number;
    /** Key hash as used by `find`. */
    hashValue(key: string): number;
    readonly ring: ReadonlyArray<{ value: number; server: string }>;
  }

  export = HashRing;
}
