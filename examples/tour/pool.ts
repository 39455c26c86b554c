// The pool section of `npm run example:tour`: a ConnectionPoolManager over fake connections (each query
// takes 20 ms), hit by a burst of requests and then left quiet. Adaptive sizing grows `max` while
// requests queue up and shrinks it back once they stop; the table samples the pool's stats.
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionPoolManager, type PoolResizedEvent } from 'loadstone/pool';

type FakeConnection = { id: number; query(sql: string): Promise<string> };

const QUERY_MS = 20;

export async function poolDemo(): Promise<void> {
  console.log('\nConnection pool: a burst of queries, then quiet (adaptive sizing between 4 and 16)');
  let opened = 0;
  const pools = new ConnectionPoolManager();
  const db = pools.register<FakeConnection>(
    'db',
    {
      create: async () => {
        await sleep(5); // connecting takes a moment
        const id = ++opened;
        const query = async (sql: string) => {
          await sleep(QUERY_MS);
          return `${sql} via #${id}`;
        };
        return { id, query };
      },
    },
    {
      min: 2, // kept open through the quiet
      max: 4,
      acquireTimeoutMs: 2_000,
      idleTimeoutMs: 300,
      maintenanceIntervalMs: 100,
      adaptive: { ceiling: 16, step: 4, intervalMs: 200, growAfter: 1, shrinkAfter: 2 },
    },
  );
  const changes: string[] = [];
  const started = performance.now();
  const at = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  pools.on('pool:resized', (e: PoolResizedEvent) =>
    changes.push(`${at()}  max ${e.fromMax} -> ${e.toMax} (${e.reason})`),
  );

  // The burst: 40 clients each running queries back to back for 1.2 s.
  let served = 0;
  const burstEnd = started + 1_200;
  const clients = Array.from({ length: 40 }, async () => {
    while (performance.now() < burstEnd) {
      await pools.use('db', (conn: FakeConnection) => conn.query('SELECT 1'));
      served++;
    }
  });
  const rows: string[] = [];
  const sample = () => {
    const s = db.stats();
    rows.push(
      `  ${at().padStart(6)}  ${String(s.max).padStart(3)}  ${String(s.size).padStart(4)}  ` +
        `${String(s.borrowed).padStart(8)}  ${String(s.waiting).padStart(7)}  ${String(served).padStart(6)}`,
    );
  };
  const sampler = setInterval(sample, 250);
  await Promise.all(clients);
  await sleep(1_800); // quiet: cold intervals shrink max, idle connections are evicted
  clearInterval(sampler);
  sample();

  console.log('    time  max  open  borrowed  waiting  served');
  for (const row of rows) console.log(row);
  console.log('  resizes:');
  for (const change of changes) console.log(`    ${change}`);
  const { acquireWait, created, destroyed } = db.stats();
  console.log(
    `  acquire wait p50 ${acquireWait.p50Ms.toFixed(1)} ms, p99 ${acquireWait.p99Ms.toFixed(1)} ms over ` +
      `${acquireWait.count} acquires; connections opened ${created}, closed ${destroyed}`,
  );
  await pools.close();
}
