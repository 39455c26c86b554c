// `npm run example:tour`: a tour of loadstone's modules on embedded defaults (no Redis, no network).
// Shows the sharder's balance across nodes, which keys move when a node joins or leaves (planned
// first, then checked), how the five algorithms compare, records routed by geography, a load
// balancer steering requests away from a slow backend, then one section per primitive (each in
// its own file here): password hashing off the event loop, priorities and load shedding, an
// adaptive connection pool and a tiered cache. The cluster (rolling reload under load) is
// `npm run demo`, which drives the express-auth example.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ConsistentHashSharder,
  LatencyRecorder,
  LoadBalancer,
  PeakEwmaPicker,
  type Picker,
  RoundRobinPicker,
  type ShardAlgorithmName,
  ShardRouter,
  shardByGeography,
} from 'loadstone';
import { cacheDemo } from './cache.js';
import { poolDemo } from './pool.js';
import { queueDemo } from './queue.js';
import { threadsDemo } from './threads.js';

const KEYS = Array.from({ length: 100_000 }, (_, i) => `user:${i}`);
const percent = (value: number) => `${(value * 100).toFixed(2)} %`;
const bar = (share: number, ideal: number) => '#'.repeat(Math.round((share / ideal) * 20));

function ownersOf(sharder: ConsistentHashSharder): string[] {
  return KEYS.map((key) => sharder.getNode(key));
}

function printBalance(title: string, owners: readonly string[], nodes: readonly string[]): void {
  const counts = new Map(nodes.map((node) => [node, 0]));
  for (const owner of owners) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  const ideal = 1 / nodes.length;
  console.log(`\n${title}`);
  for (const [node, count] of counts) {
    console.log(
      `  ${node.padEnd(6)} ${String(count).padStart(6)} keys  ${percent(count / KEYS.length).padStart(8)}  ${bar(count / KEYS.length, ideal)}`,
    );
  }
  const values = [...counts.values()];
  console.log(`  busiest / mean = ${(Math.max(...values) / (KEYS.length / nodes.length)).toFixed(3)}`);
}

function printMoves(before: readonly string[], after: readonly string[]): void {
  const moves = new Map<string, number>();
  before.forEach((from, i) => {
    const to = after[i] as string;
    if (from !== to) moves.set(`${from} -> ${to}`, (moves.get(`${from} -> ${to}`) ?? 0) + 1);
  });
  const moved = [...moves.values()].reduce((sum, n) => sum + n, 0);
  console.log(`  moved ${moved} of ${KEYS.length} keys (${percent(moved / KEYS.length)}):`);
  for (const [edge, count] of [...moves].sort((a, b) => b[1] - a[1]))
    console.log(`    ${edge.padEnd(16)} ${count}`);
}

console.log('loadstone tour: ConsistentHashSharder over 100,000 keys');
const nodes = ['db-1', 'db-2', 'db-3', 'db-4', 'db-5'];
const sharder = new ConsistentHashSharder({ nodes, algorithm: 'ring' });
const initial = ownersOf(sharder);
printBalance('1. Balance across 5 nodes (ring, 2,048 virtual nodes each)', initial, nodes);

console.log('\n2. db-6 joins. The plan, before anything moves:');
const joinPlan = sharder.plan({ add: ['db-6'] });
console.log(
  `  planned: ${percent(joinPlan.movedFraction)} of the key space moves (ideal 1/6 = ${percent(1 / 6)})`,
);
for (const move of joinPlan.moves) {
  console.log(
    `    ${`${move.from} -> ${move.to}`.padEnd(16)} ${percent(move.fraction)} in ${move.ranges.length} hash ranges`,
  );
}
sharder.addNode('db-6');
const afterJoin = ownersOf(sharder);
console.log('  what actually moved:');
printMoves(initial, afterJoin);
const example = KEYS.find((_key, i) => initial[i] !== afterJoin[i]) as string;
console.log(`  e.g. ${example}: ${JSON.stringify(joinPlan.destination(example))}`);

console.log('\n3. db-3 leaves: only its keys move, spread over the others');
sharder.removeNode('db-3');
printMoves(afterJoin, ownersOf(sharder));

console.log('\n4. The algorithms side by side (10 nodes, 100,000 keys, then an 11th node joins)');
console.log('  algorithm   busiest/mean  moved on join (ideal 9.09 %)  lookups/s (one cold pass)');
const ten = Array.from({ length: 10 }, (_, i) => `10.0.0.${i + 1}:11211`);
for (const algorithm of ['ring', 'ketama', 'jump', 'rendezvous', 'maglev'] satisfies ShardAlgorithmName[]) {
  const s = new ConsistentHashSharder({ nodes: ten, algorithm } as ConstructorParameters<
    typeof ConsistentHashSharder
  >[0]);
  const started = performance.now();
  const before = ownersOf(s);
  const seconds = (performance.now() - started) / 1000;
  const counts = new Map<string, number>();
  for (const owner of before) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  s.addNode('10.0.0.11:11211');
  const moved = ownersOf(s).filter((owner, i) => owner !== before[i]).length;
  console.log(
    `  ${algorithm.padEnd(11)} ${(Math.max(...counts.values()) / 10_000).toFixed(3).padStart(12)}  ${percent(moved / KEYS.length).padStart(28)}  ${Math.round(
      KEYS.length / seconds,
    )
      .toLocaleString('en-US')
      .padStart(25)}`,
  );
}
console.log('  (`npm run bench` measures lookups properly, with warm-up, against hashring)');

console.log('\n5. Records routed by geography: EU pinned to the EU node, other regions hashed');
const router = new ShardRouter<{ id: string; country: string }>({
  sharder: new ConsistentHashSharder({ nodes: ['eu-1', 'us-1', 'us-2', 'ap-1'] }),
  strategy: shardByGeography('country', { eu: ['DE', 'FR', 'NL'], us: ['US', 'CA'], ap: ['JP', 'SG'] }),
  pins: { 'region:eu': 'eu-1' },
});
for (const record of [
  { id: 'order-1', country: 'DE' },
  { id: 'order-2', country: 'US' },
  { id: 'order-3', country: 'JP' },
  { id: 'order-4', country: 'FR' },
]) {
  console.log(`  ${record.id} (${record.country}) -> ${router.shardKey(record)} -> ${router.route(record)}`);
}
console.log(
  '\n6. A load balancer routing around a slow backend (api-3 answers in 40 ms, the others in 4 ms)',
);
console.log('  strategy        to api-3  mean ms   p50 ms   p99 ms   (600 real requests, 12 in flight)');
for (const [label, strategy] of [
  ['round-robin', new RoundRobinPicker()],
  ['peak-EWMA P2C', new PeakEwmaPicker()],
] as [string, Picker][]) {
  const lb = new LoadBalancer({
    backends: ['api-1', 'api-2', 'api-3', 'api-4', 'api-5'].map((id) => ({
      id,
      target: id === 'api-3' ? 40 : 4,
    })),
    strategy,
  });
  const latency = new LatencyRecorder();
  let next = 0;
  const client = async () => {
    while (next++ < 600) {
      const started = performance.now();
      await lb.run((serviceMs) => sleep(serviceMs)); // stands in for an HTTP call to the backend
      latency.record(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: 12 }, client));
  const slow = lb.stats().backends.find((backend) => backend.id === 'api-3');
  const { meanMs, p50Ms, p99Ms } = latency.snapshot();
  console.log(
    `  ${label.padEnd(15)} ${percent((slow?.requests ?? 0) / 600).padStart(8)} ${[meanMs, p50Ms, p99Ms].map((ms) => ms.toFixed(1).padStart(8)).join(' ')}`,
  );
  await lb.close();
}

await threadsDemo();
await queueDemo();
await poolDemo();
await cacheDemo();

console.log('\ndone.');
