import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CacheEntry, CacheTier } from '../core/index.js';
import { FakeClock } from '../testing/FakeClock.js';
import { MemoryTier } from './MemoryTier.js';
import { TieredCache } from './TieredCache.js';

/** A shared-store stand-in: async, remote, over a Map (what RedisTier is, minus the network). */
class MapRemoteTier implements CacheTier<false> {
  readonly name = 'remote';
  readonly remote = true;
  readonly #map = new Map<string, CacheEntry>();
  async get(key: string): Promise<CacheEntry | undefined> {
    return this.#map.get(key);
  }
  async set(key: string, entry: CacheEntry): Promise<void> {
    this.#map.set(key, entry);
  }
  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.#map.delete(key);
  }
  async clear(): Promise<void> {
    this.#map.clear();
  }
}

type Command =
  | { op: 'set'; key: string; value: number; ttlMs: number }
  | { op: 'get'; key: string }
  | { op: 'getOrSet'; key: string; value: number }
  | { op: 'delete'; key: string }
  | { op: 'advance'; ms: number };

const keyArb = fc.constantFrom('a', 'b', 'c', 'd', 'e');
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    op: fc.constant('set' as const),
    key: keyArb,
    value: fc.integer(),
    ttlMs: fc.integer({ min: 1, max: 30 }),
  }),
  fc.record({ op: fc.constant('get' as const), key: keyArb }),
  fc.record({ op: fc.constant('getOrSet' as const), key: keyArb, value: fc.integer() }),
  fc.record({ op: fc.constant('delete' as const), key: keyArb }),
  fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 20 }) }),
);

const DEFAULT_TTL = 25;

async function agreesWithModel(makeTiers: () => CacheTier[], commands: Command[]): Promise<void> {
  const clock = new FakeClock({ startMs: 1_000 });
  // Grace keeps expired entries (as stale), so expiry is decided by freshness, not by eviction.
  const cache = new TieredCache<number>({
    tiers: makeTiers(),
    clock,
    jitterRatio: 0,
    defaultTtlMs: DEFAULT_TTL,
    graceMs: 50,
  });
  const model = new Map<string, { value: number; expiresAt: number }>();
  const read = (key: string): number | undefined => {
    const item = model.get(key);
    return item !== undefined && clock.now() < item.expiresAt ? item.value : undefined;
  };
  for (const command of commands) {
    switch (command.op) {
      case 'set':
        await cache.set(command.key, command.value, { ttlMs: command.ttlMs });
        model.set(command.key, { value: command.value, expiresAt: clock.now() + command.ttlMs });
        break;
      case 'get':
        expect(await cache.get(command.key)).toBe(read(command.key));
        break;
      case 'getOrSet': {
        const expected = read(command.key) ?? command.value;
        if (read(command.key) === undefined) {
          model.set(command.key, { value: command.value, expiresAt: clock.now() + DEFAULT_TTL });
        }
        expect(await cache.getOrSet(command.key, () => command.value)).toBe(expected);
        break;
      }
      case 'delete':
        await cache.delete(command.key);
        model.delete(command.key);
        break;
      case 'advance':
        clock.advance(command.ms);
        break;
    }
  }
  for (const key of ['a', 'b', 'c', 'd', 'e']) expect(await cache.get(key)).toBe(read(key));
}

describe('TieredCache against a Map model with TTLs (fake clock)', () => {
  it('one tier (memory)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commandArb, { maxLength: 60 }), (commands) =>
        agreesWithModel(() => [new MemoryTier({ maxEntries: 100 })], commands),
      ),
      { numRuns: 200, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: true },
    );
  });

  it('two tiers (a small memory tier that evicts, over a shared remote tier)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commandArb, { maxLength: 60 }), (commands) =>
        agreesWithModel(() => [new MemoryTier({ maxEntries: 2 }), new MapRemoteTier()], commands),
      ),
      { numRuns: 200, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: true },
    );
  });

  it('peek() never returns a value the model does not have', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commandArb, { maxLength: 40 }), async (commands) => {
        const clock = new FakeClock();
        const cache = new TieredCache<number>({
          tiers: [new MemoryTier({ maxEntries: 3 })],
          clock,
          jitterRatio: 0,
        });
        const model = new Map<string, { value: number; expiresAt: number }>();
        for (const command of commands) {
          if (command.op === 'set') {
            await cache.set(command.key, command.value, { ttlMs: command.ttlMs });
            model.set(command.key, { value: command.value, expiresAt: clock.now() + command.ttlMs });
          } else if (command.op === 'delete') {
            await cache.delete(command.key);
            model.delete(command.key);
          } else if (command.op === 'advance') {
            clock.advance(command.ms);
          } else {
            const peeked = cache.peek(command.key);
            const item = model.get(command.key);
            if (peeked !== undefined) {
              expect(item !== undefined && clock.now() < item.expiresAt).toBe(true);
              expect(peeked).toBe(item?.value);
            }
          }
        }
      }),
      { numRuns: 200, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: true },
    );
  });
});
