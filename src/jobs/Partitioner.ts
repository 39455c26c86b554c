import { ConsistentHashSharder } from '../sharding/index.js';

/**
 * A job's partition from its key (or id): jump consistent hashing over the partition numbers,
 * so the rare change of `partitions` moves the fewest keys. @internal
 */
export class Partitioner {
  readonly #sharder: ConsistentHashSharder | undefined;

  constructor(partitions: number) {
    this.#sharder =
      partitions === 1
        ? undefined
        : new ConsistentHashSharder({
            algorithm: 'jump',
            nodes: Array.from({ length: partitions }, (_, i) => String(i)),
          });
  }

  of(key: string): number {
    return this.#sharder === undefined ? 0 : Number(this.#sharder.getNode(key));
  }
}
