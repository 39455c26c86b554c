// MemoryTier on its own: its options and their errors, the default byte sizing, shrinking by hand
// and on a load signal, and closing.
import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { ManualLoadSignal } from '../core/index.js';
import { MemoryTier } from './MemoryTier.js';

const entry = (value: unknown) => ({ value, createdAt: 0, freshUntil: 1_000, staleUntil: 1_000 });

/** A tier holding `n` entries `k0`…`k{n-1}`. */
function filled(n: number, options: ConstructorParameters<typeof MemoryTier>[0] = { maxEntries: 1_000 }) {
  const tier = new MemoryTier(options);
  for (let i = 0; i < n; i++) tier.set(`k${i}`, entry(i), 1_000);
  return tier;
}

describe('MemoryTier', () => {
  it('names itself "memory" unless told, and refuses bad options, naming each', () => {
    expect(new MemoryTier({ maxEntries: 1 }).name).toBe('memory');
    expect(new MemoryTier({ maxEntries: 1, name: 'l1' }).name).toBe('l1');
    const bad = (options: unknown) => () => new MemoryTier(options as never);
    expectInvalidOption(
      bad({ maxEntries: 1, ttl: 5 }),
      'options.ttl',
      'absent: it is not an option of MemoryTier',
    );
    expectInvalidOption(bad({ maxEntries: 1, name: '' }), 'options.name', 'a non-empty string');
    expectInvalidOption(bad({ maxBytes: 10, sizeOf: 5 }), 'options.sizeOf', 'a function');
    expectInvalidOption(
      bad({ maxEntries: 1, shrinkRatio: 0 }),
      'options.shrinkRatio',
      'a finite number > 0 and <= 1',
    );
    expectInvalidOption(bad({ maxEntries: 1, loadSignal: {} }), 'options.loadSignal', 'a LoadSignal');
    expectInvalidOption(bad({}), 'options.maxEntries', 'set (or options.maxBytes)');
    expect(new MemoryTier({ maxEntries: 1, shrinkRatio: 1 }).shrink()).toBe(0);
  });

  it('sizes a value by its JSON text when bounded by bytes: two bytes a character, 64 over, the key counted', () => {
    const tier = new MemoryTier({ maxBytes: 10_000 });
    tier.set('ab', entry('xyz'), 1_000); // "xyz" is 5 characters of JSON
    expect(tier.bytes).toBe(5 * 2 + 64 + 2 * 2);
    tier.set('n', entry(undefined), 1_000); // a cached "not found": no JSON text
    expect(tier.bytes).toBe(78 + 64 + 2);
    tier.set('b', entry(10n), 1_000); // not serialisable: a flat 1 KiB
    expect(tier.bytes).toBe(78 + 66 + 1_024 + 2);
  });

  it('shrinks by hand to 1 - ratio of its entries, least recently used first, and says how many went', () => {
    const tier = filled(10);
    tier.get('k0');
    expect(tier.shrink(0.5)).toBe(5);
    expect(tier.size).toBe(5);
    expect(tier.get('k0')?.value).toBe(0);
    expect(tier.shrink(1)).toBe(5);
    expect([tier.size, tier.shrinks]).toEqual([0, 2]);
    expectInvalidOption(() => tier.shrink(0), 'ratio', 'a finite number > 0 and <= 1');
    expectInvalidOption(() => tier.shrink(1.5), 'ratio', 'a finite number > 0 and <= 1');
  });

  it('shrinks at once on a signal already critical, and each time the signal turns critical', () => {
    const critical = new ManualLoadSignal();
    critical.set('critical');
    const tier = new MemoryTier({ maxEntries: 100, loadSignal: critical });
    expect(tier.shrinks).toBe(1);
    const signal = new ManualLoadSignal();
    const watched = filled(8, { maxEntries: 100, loadSignal: signal });
    signal.set('degraded');
    expect([watched.shrinks, watched.size]).toEqual([0, 8]);
    signal.set('critical');
    expect([watched.shrinks, watched.size]).toEqual([1, 4]);
    signal.set('degraded');
    signal.set('critical');
    expect([watched.shrinks, watched.size]).toEqual([2, 2]);
  });

  it('empties itself and stops following the signal when closed or destroyed, once', async () => {
    for (const end of ['close', 'destroy'] as const) {
      const signal = new ManualLoadSignal();
      const tier = filled(4, { maxEntries: 100, loadSignal: signal });
      expect(tier.closed).toBe(false);
      await tier[end]();
      expect([tier.closed, tier.size]).toEqual([true, 0]);
      signal.set('critical');
      expect(tier.shrinks).toBe(0);
      tier.set('late', entry(1), 1_000);
      await tier[end](); // idempotent: nothing happens again
      expect(tier.size).toBe(1);
    }
  });
});
