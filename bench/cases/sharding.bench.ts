// ConsistentHashSharder vs the `hashring` npm package (anchor): lookups/s, build time, retained
// memory per node, balance, and a ketama compatibility check on the same keys.
//
// The lookups case is isolated (one child process per contender, see bench/isolate.ts); build
// time, memory, balance and compat run in this process.
//
// Workload (anchors doc §2.4): 1 M distinct random string keys `k:<base36 random>:<i>` from a
// seeded PRNG, generated once and shared by every contender; nodes `10.0.0.1:11211` … (10 for
// lookups and balance; 10, 100 and 1,000 for build time and memory). `--quick` uses 200 k keys.
import HashRing from 'hashring';
import type { ConsistentHashSharderOptions, ShardAlgorithmName } from 'loadstone/sharding';
import { ConsistentHashSharder, jumpHash } from 'loadstone/sharding';
import { seededRandom } from 'loadstone/testing';
import { measureBuildTime } from '../buildTime.js';
import type { Contender } from '../contender.js';
import { collectGarbage } from '../gc.js';
import { measureRetained } from '../memory.js';
import { formatFixed, formatInt, formatSig, markdownTable } from '../report.js';
import { defineSuite, type SuiteContext } from '../suite.js';

const ALGORITHMS: readonly ShardAlgorithmName[] = ['ring', 'ketama', 'jump', 'rendezvous', 'maglev'];
const LOOKUP_NODES = 10;
const SIZES = [10, 100, 1000] as const;
const SEED = 0x5eed_2024;
/** Build-time sampling; `--quick` takes one sample, enough to see the builds run. */
const BUILD_SAMPLING = {
  full: { samples: 7, minSampleMs: 10 },
  quick: { samples: 1, minSampleMs: 10 },
} as const;
/** Total bytes of copies held at once when measuring memory. */
const MEMORY_TARGET_BYTES = { full: 32 * 1024 * 1024, quick: 8 * 1024 * 1024 } as const;

/** `10.0.0.1:11211` … for i = 1..count (`10.0.1.0:11211` follows `10.0.0.255:11211`). */
function nodeIds(count: number): string[] {
  return Array.from({ length: count }, (_, k) => `10.0.${(k + 1) >> 8}.${(k + 1) & 255}:11211`);
}

/** Seeded 32-bit integers, so every run (and every contender) sees the same keys. */
function prng(seed: number): () => number {
  const random = seededRandom(seed);
  return () => Math.floor(random() * 4294967296);
}

/**
 * `count` distinct keys `k:<base36 52-bit random>:<i>`, as flat, internalized strings.
 *
 * A template literal makes a cons string, and V8 changes a string's representation in place the
 * first time it is flattened or used as a property key (hashring's lookup cache is a plain object,
 * which internalizes every key it sees and leaves the array holding ThinStrings, even after GC).
 * Left alone, whichever contender touched the keys first would change them for the others; so
 * the keys are flattened (copied out of one latin1 buffer) and internalized up front, after a GC
 * has moved them to old space, where V8 internalizes in place.
 */
function makeKeys(count: number, seed: number): string[] {
  const rand = prng(seed);
  const built = new Array<string>(count);
  for (let i = 0; i < count; i++) built[i] = `k:${(rand() * 1048576 + (rand() >>> 12)).toString(36)}:${i}`;
  const buffer = Buffer.from(built.join(''), 'latin1');
  const keys = new Array<string>(count);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const length = (built[i] as string).length;
    keys[i] = buffer.toString('latin1', offset, offset + length);
    offset += length;
  }
  built.length = 0;
  collectGarbage();
  const internalize: Record<string, number> = Object.create(null);
  for (let i = 0; i < count; i++) internalize[keys[i] as string] = i;
  return keys;
}

/** `count` random non-negative safe integers (53-bit), from the same kind of seeded PRNG. */
function makeIntKeys(count: number, seed: number): Float64Array {
  const rand = prng(seed);
  const keys = new Float64Array(count);
  for (let i = 0; i < count; i++) keys[i] = (rand() >>> 11) * 4294967296 + rand();
  return keys;
}

function sharder(algorithm: ShardAlgorithmName, nodes: readonly string[]): ConsistentHashSharder {
  // Every algorithm with its defaults; the cast widens `algorithm` to the union's discriminant.
  return new ConsistentHashSharder({ nodes, algorithm } as ConsistentHashSharderOptions);
}

// Lookups write into this so the optimiser cannot drop them.
let sink = 0;

let sharedKeys: string[] | undefined;

/** The string keys of the lookups and balance sections, made once per process (see {@link makeKeys}). */
function stringKeys(count: number): string[] {
  if (sharedKeys?.length !== count) sharedKeys = makeKeys(count, SEED);
  return sharedKeys;
}

/** Argument of {@link lookupContenders}; plain data, because child processes receive it as JSON. */
export type LookupParams = {
  /** Number of distinct keys of each kind (strings, integers). */
  readonly keyCount: number;
};

/**
 * Lookup contenders. Exported so that the child process of an isolated run (bench/child.ts) can
 * build the one it measures: nothing is built here, each contender builds its structure and keys
 * in `setup`. Each loop is its own function literal on purpose (see harness.ts: closures of one
 * literal share type feedback), reads the keys into locals once per batch and walks them from its
 * own cursor.
 */
export function lookupContenders(params: LookupParams): Contender[] {
  const nodes = nodeIds(LOOKUP_NODES);
  let keys: readonly string[] = [];
  let intKeys: Float64Array = new Float64Array(0);
  const useStringKeys = (): void => {
    keys = stringKeys(params.keyCount);
  };
  const useIntKeys = (): void => {
    if (intKeys.length === 0) intKeys = makeIntKeys(params.keyCount, SEED + 1);
  };

  let hr: HashRing | undefined;
  let hrCursor = 0;
  let hr1: HashRing | undefined;
  let hr1Cursor = 0;
  const ls: Partial<Record<ShardAlgorithmName, ConsistentHashSharder>> = {};
  const cursors = { ring: 0, ketama: 0, jump: 0, rendezvous: 0, maglev: 0, jumpInt: 0, jumpRaw: 0 };
  const get = (a: ShardAlgorithmName): ConsistentHashSharder => ls[a] as ConsistentHashSharder;
  const loadstone = (a: ShardAlgorithmName) => ({
    setup: () => {
      useStringKeys();
      ls[a] = sharder(a, nodes);
    },
    teardown: () => {
      delete ls[a];
    },
  });

  return [
    {
      name: 'hashring',
      anchor: true,
      setup: () => {
        useStringKeys();
        hr = new HashRing(nodes);
      },
      teardown: () => {
        hr = undefined;
      },
      batch: (count) => {
        const ring = hr as HashRing;
        const ks = keys;
        const n = ks.length;
        let i = hrCursor;
        let acc = 0;
        for (let j = 0; j < count; j++) {
          acc += ring.get(ks[i] as string).length;
          if (++i === n) i = 0;
        }
        hrCursor = i;
        sink += acc;
      },
    },
    {
      name: 'hashring, max cache size 1',
      setup: () => {
        useStringKeys();
        hr1 = new HashRing(nodes, 'md5', { 'max cache size': 1 });
      },
      teardown: () => {
        hr1 = undefined;
      },
      batch: (count) => {
        const ring = hr1 as HashRing;
        const ks = keys;
        const n = ks.length;
        let i = hr1Cursor;
        let acc = 0;
        for (let j = 0; j < count; j++) {
          acc += ring.get(ks[i] as string).length;
          if (++i === n) i = 0;
        }
        hr1Cursor = i;
        sink += acc;
      },
    },
    {
      name: 'ring',
      target: { minRatio: 15 },
      ...loadstone('ring'),
      batch: (count) => {
        const s = get('ring');
        const ks = keys;
        const n = ks.length;
        let i = cursors.ring;
        let acc = 0;
        for (let j = 0; j < count; j++) {
          acc += s.getNode(ks[i] as string).length;
          if (++i === n) i = 0;
        }
        cursors.ring = i;
        sink += acc;
      },
    },
    {
      name: 'ketama',
      target: { minRatio: 1.5 },
      ...loadstone('ketama'),
      batch: (count) => {
        const s = get('ketama');
        const ks = keys;
        const n = ks.length;
        let i = cursors.ketama;
        let acc = 0;
        for (let j = 0; j < count; j++) {
          acc += s.getNode(ks[i] as string).length;
          if (++i === n) i = 0;
        }
        cursors.ketama = i;
        sink += acc;
      },
    },
    {
      name: 'jump',
      ...loadstone('jump'),
      batch: (count) => {
        const s = get('jump');
        const ks = keys;
        const n = ks.length;
        let i = cursors.jump;
        let acc = 0;
        for (let j = 0; j < count; j++) {
          acc += s.getNode(ks[i] as string).length;
          if (++i === n) i = 0;
        }
        cursors.jump = i;
        sink += acc;
      },
    },
    {
      name: 'rendezvous',
      ...loadstone('rendezvous'),
      batch: (count) => {
        const s = get('rendezvous');
        const ks = keys;
        const n = ks.length;
        let i = cursors.rendezvous;
        let acc = 0;
        for (let j = 0; j < count; j++) {
          acc += s.getNode(ks[i] as string).length;
          if (++i === n) i = 0;
        }
        cursors.rendezvous = i;
        sink += acc;
      },
    },
    {
      name: 'maglev',
      ...loadstone('maglev'),
      batch: (count) => {
        const s = get('maglev');
        const ks = keys;
        const n = ks.length;
        let i = cursors.maglev;
        let acc = 0;
        for (let j = 0; j < count; j++) {
          acc += s.getNode(ks[i] as string).length;
          if (++i === n) i = 0;
        }
        cursors.maglev = i;
        sink += acc;
      },
    },
    {
      name: 'jump, integer keys',
      target: { minOpsPerSec: 10e6 },
      // In one process (`--in-process`) this shares the `jump` row's sharder.
      setup: () => {
        useIntKeys();
        ls.jump ??= sharder('jump', nodes);
      },
      batch: (count) => {
        const s = get('jump');
        const ks = intKeys;
        const m = ks.length;
        let i = cursors.jumpInt;
        let acc = 0;
        for (let j = 0; j < count; j++) {
          acc += s.getNode(ks[i] as number).length;
          if (++i === m) i = 0;
        }
        cursors.jumpInt = i;
        sink += acc;
      },
    },
    {
      name: 'jumpHash(n, 10), raw',
      setup: useIntKeys,
      batch: (count) => {
        const ks = intKeys;
        const m = ks.length;
        let i = cursors.jumpRaw;
        let acc = 0;
        for (let j = 0; j < count; j++) {
          acc += jumpHash(ks[i] as number, LOOKUP_NODES);
          if (++i === m) i = 0;
        }
        cursors.jumpRaw = i;
        sink += acc;
      },
    },
  ];
}

/** The structures compared for build time, memory and balance: hashring defaults and each algorithm. */
function structures(): {
  name: string;
  build: (nodes: readonly string[]) => { getNode(key: string): string };
}[] {
  return [
    {
      name: 'hashring',
      build: (nodes) => {
        const ring = new HashRing(nodes);
        return { getNode: (key) => ring.get(key) };
      },
    },
    ...ALGORITHMS.map((algorithm) => ({
      name: algorithm,
      build: (nodes: readonly string[]) => sharder(algorithm, nodes),
    })),
  ];
}

function buildAndMemory(ctx: SuiteContext): void {
  const doBuild = ctx.selected('build');
  const doMemory = ctx.selected('memory');
  if (!doBuild && !doMemory) return;
  const buildRows: string[][] = [];
  const memoryRows: string[][] = [];
  for (const s of structures()) {
    const buildCells: string[] = [];
    const memoryCells: string[] = [];
    for (const size of SIZES) {
      const nodes = nodeIds(size);
      ctx.log(`build/memory: ${s.name}, ${size} nodes`);
      if (doBuild) {
        const t = measureBuildTime(() => s.build(nodes), BUILD_SAMPLING[ctx.quick ? 'quick' : 'full']);
        buildCells.push(`${formatSig(t.median)} <sub>(${formatSig(t.min)}–${formatSig(t.max)})</sub>`);
      }
      if (doMemory) {
        const m = measureRetained(() => s.build(nodes), {
          targetBytes: MEMORY_TARGET_BYTES[ctx.quick ? 'quick' : 'full'],
        });
        memoryCells.push(formatInt(m.bytes / size));
      }
    }
    buildRows.push([s.name, ...buildCells]);
    memoryRows.push([s.name, ...memoryCells]);
  }
  const sizeHeaders = SIZES.map((size) => `${formatInt(size)} nodes`);
  if (doBuild) {
    ctx.report(
      'build',
      'Sharding — build time (ms per build, median (min–max))',
      `${markdownTable(['structure', ...sizeHeaders], buildRows)}\n\n` +
        `Construction from a node-id array: ${BUILD_SAMPLING.full.samples} samples (${BUILD_SAMPLING.quick.samples} with ` +
        '`--quick`) after one untimed build; each sample repeats the build until it lasts ' +
        `≥ ${BUILD_SAMPLING.full.minSampleMs} ms. Algorithms use their defaults.`,
    );
  }
  if (doMemory) {
    ctx.report(
      'memory',
      'Sharding — retained memory (bytes per node)',
      `${markdownTable(['structure', ...sizeHeaders], memoryRows)}\n\n` +
        'Growth of `heapUsed + external` (external holds typed-array data) after a full GC with the built ' +
        'structures still referenced, divided by copies × nodes; enough copies are held at once to total ' +
        '~32 MiB (8 MiB with `--quick`), which averages out heap noise. Includes each structure’s copy of the ' +
        'node ids; hashring’s count includes its (empty) 5,000-entry lookup cache.',
    );
  }
}

function balance(ctx: SuiteContext, getKeys: () => readonly string[]): void {
  if (!ctx.selected('balance')) return;
  const keys = getKeys();
  const nodes = nodeIds(LOOKUP_NODES);
  const rows: string[][] = [];
  for (const s of structures()) {
    ctx.log(`balance: ${s.name}`);
    const built = s.build(nodes);
    const counts = new Map<string, number>(nodes.map((id) => [id, 0]));
    for (const key of keys) {
      const owner = built.getNode(key);
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
    }
    const values = [...counts.values()];
    const mean = keys.length / nodes.length;
    const max = Math.max(...values);
    const min = Math.min(...values);
    const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
    rows.push([
      s.name,
      formatFixed(max / mean, 3),
      formatFixed(max / min, 3),
      `${formatFixed((sd / mean) * 100, 2)} %`,
      formatInt(min),
      formatInt(max),
    ]);
  }
  ctx.report(
    'balance',
    `Sharding — balance of ${formatInt(keys.length)} keys on ${LOOKUP_NODES} nodes`,
    `${markdownTable(['structure', 'max/mean', 'max/min', 'CV', 'min keys', 'max keys'], rows)}\n\n` +
      'Per-node key counts over the lookup keys (seeded, so identical in every run with the same key count); ' +
      'CV = standard deviation ÷ mean. Algorithms use their defaults.',
  );
}

/** Same-node agreement of loadstone's ketama with hashring on the lookup keys, in both point formats. */
function compat(ctx: SuiteContext, getKeys: () => readonly string[]): void {
  if (!ctx.selected('compat')) return;
  const keys = getKeys();
  const nodes = nodeIds(LOOKUP_NODES);
  const pairs = [
    {
      label: "ketama `pointFormat: 'libketama'` vs hashring defaults",
      ours: new ConsistentHashSharder({ nodes, algorithm: 'ketama', pointFormat: 'libketama' }),
      theirs: new HashRing(nodes),
    },
    {
      label: "ketama defaults (`'libmemcached'`, port 11211) vs hashring `'default port': 11211`",
      ours: new ConsistentHashSharder({ nodes, algorithm: 'ketama' }),
      theirs: new HashRing(nodes, 'md5', { 'default port': 11211 }),
    },
  ];
  const rows = pairs.map(({ label, ours, theirs }) => {
    ctx.log(`compat: ${label}`);
    let same = 0;
    for (const key of keys) if (ours.getNode(key) === theirs.get(key)) same++;
    return [label, `${formatInt(same)} / ${formatInt(keys.length)}`];
  });
  ctx.report(
    'compat',
    'Sharding — ketama compatibility with hashring',
    `${markdownTable(['pair', 'same node'], rows)}\n\n` +
      'hashring reproduces python-ketama by default and libmemcached/pylibmc with `default port` (anchors doc ' +
      '§2.4); both pairs should agree on every key.',
  );
}

export default defineSuite({
  name: 'sharding',
  title: 'Sharding: ConsistentHashSharder vs hashring',
  anchors: ['hashring'],
  async run(ctx) {
    const keyCount = ctx.quick ? 200_000 : 1_000_000;
    const getKeys = (): string[] => {
      if (sharedKeys?.length !== keyCount) ctx.log(`generating ${formatInt(keyCount)} keys`);
      return stringKeys(keyCount);
    };

    if (ctx.selected('lookups')) {
      const params: LookupParams = { keyCount };
      await ctx.throughput({
        name: 'lookups',
        title: `Sharding — lookups/s, ${formatInt(keyCount)} random string keys, ${LOOKUP_NODES} nodes`,
        unit: 'lookups',
        contenders: lookupContenders(params),
        // One child process per contender and round: in one process `getNode`'s call to the
        // algorithm sees all five algorithms, goes megamorphic and slows every row.
        isolate: { module: import.meta.url, factory: 'lookupContenders', params },
        note:
          `Keys \`k:<base36 random>:<i>\` (${formatInt(keyCount)} distinct, seeded, flat and internalized ` +
          `up front, one array walked in order), nodes \`10.0.0.1:11211\` … \`10.0.0.${LOOKUP_NODES}:11211\`. **hashring**: \`new HashRing(nodes)\`, ` +
          "`get(key)` (its 5,000-entry LRU misses on every distinct key); `max cache size 1` passes `{'max cache size': 1}`. " +
          '**ring … maglev**: `new ConsistentHashSharder({ nodes, algorithm })` with defaults, `getNode(key)`. ' +
          '**jump, integer keys**: `getNode(n)` on random non-negative safe integers; **jumpHash raw**: ' +
          '`jumpHash(n, 10)` on the same integers. Each contender runs in its own process, so `getNode` sees ' +
          'one algorithm, as in a server that uses one (`--in-process` runs them all in one process instead).',
      });
    }

    buildAndMemory(ctx);
    balance(ctx, getKeys);
    compat(ctx, getKeys);
    sharedKeys = undefined;
    ctx.log(sink === 0 ? 'done' : `done (lookup sink ${sink > 0 ? 'ok' : 'empty'})`);
  },
});
