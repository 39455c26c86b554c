// What the diagnostics channels cost on the hottest traced path, a pool's fast acquire (an idle
// resource handed out synchronously, then released), with nobody subscribed.
//
// There is no untraced build to compare with in the same process, so the case measures the check
// by adding more of it: "as shipped" runs one channel check per acquire (inside `acquire`), and
// "ten checks more" runs eleven, on ten other channels (distinct objects, so the optimiser cannot
// fold them into one read). A tenth of their cost difference is what one check costs, which is
// what the shipped build pays over an untraced one; one extra check alone is below this machine's
// round-to-round noise (a few %). The check is the one `acquire` makes: five `hasSubscribers`
// reads on the tracing channel's events. A third row subscribes to every event, for scale.
//
// Each row runs in its own child process (isolate), so a subscriber or a second call site in one
// cannot change the others' inline caches. Each op is 100 cycles, so the harness's per-op timing (two `performance.now()` reads and an HDR
// record) does not dilute the difference.
import { type TracingChannel, tracingChannel } from 'node:diagnostics_channel';
import { diagnosticsChannels } from 'loadstone';
import { ConnectionPoolManager } from 'loadstone/pool';
import type { Contender } from '../contender.js';
import { formatFixed, formatRatio, markdownTable } from '../report.js';
import { defineSuite } from '../suite.js';

type Res = { id: number };
const CYCLES = 100;
/** Checks added per acquire by the second row. */
const EXTRA = 10;
const EXTRA_ROW = `${EXTRA} checks more per acquire, on other channels`;
let sink = 0;

function poolOf() {
  const manager = new ConnectionPoolManager();
  let id = 0;
  const pool = manager.register<Res>('bench', { create: () => ({ id: id++ }) }, { max: 10 });
  return { manager, pool };
}

/** The check `ConnectionPool.acquire` makes before tracing. */
function active(c: TracingChannel<unknown, object>): boolean {
  return (
    c.start.hasSubscribers ||
    c.end.hasSubscribers ||
    c.asyncStart.hasSubscribers ||
    c.asyncEnd.hasSubscribers ||
    c.error.hasSubscribers
  );
}

/** The three rows, each built in its own `setup` (isolated: one child process per row). */
export function acquireContenders(): Contender[] {
  let shipped: ReturnType<typeof poolOf> | undefined;
  let doubled: ReturnType<typeof poolOf> | undefined;
  let traced: ReturnType<typeof poolOf> | undefined;
  const channel = tracingChannel<unknown, object>(diagnosticsChannels.poolAcquire);
  const others = Array.from({ length: EXTRA }, (_, i) =>
    tracingChannel<unknown, object>(`bench:unused:${i}`),
  );
  const noop = () => {};
  const subscriber = { start: noop, end: noop, asyncStart: noop, asyncEnd: noop, error: noop };
  return [
    {
      name: 'as shipped: one channel check per acquire',
      anchor: true,
      setup: () => {
        shipped = poolOf();
      },
      op: async () => {
        const { pool } = shipped as ReturnType<typeof poolOf>;
        for (let i = 0; i < CYCLES; i++) {
          const r = await pool.acquire();
          sink += r.id;
          pool.release(r);
        }
      },
      teardown: () => shipped?.manager.close(),
    },
    {
      name: EXTRA_ROW,
      setup: () => {
        doubled = poolOf();
      },
      op: async () => {
        const { pool } = doubled as ReturnType<typeof poolOf>;
        for (let i = 0; i < CYCLES; i++) {
          for (const other of others) if (active(other)) sink++;
          const r = await pool.acquire();
          sink += r.id;
          pool.release(r);
        }
      },
      teardown: () => doubled?.manager.close(),
    },
    {
      name: 'a subscriber on every event (for scale)',
      setup: () => {
        traced = poolOf();
        channel.subscribe(subscriber);
      },
      op: async () => {
        const { pool } = traced as ReturnType<typeof poolOf>;
        for (let i = 0; i < CYCLES; i++) {
          const r = await pool.acquire();
          sink += r.id;
          pool.release(r);
        }
      },
      teardown: async () => {
        channel.unsubscribe(subscriber);
        await traced?.manager.close();
      },
    },
  ];
}

export default defineSuite({
  name: 'diagnostics',
  title: 'Diagnostics channels: their cost on the pool’s fast acquire, nobody subscribed',
  anchors: [],
  async run(ctx) {
    if (!ctx.selected('diagnostics/pool-acquire')) return;
    const rows = await ctx.throughput({
      name: 'pool-acquire',
      title: `Pool fast path — ${CYCLES} × \`await acquire(); release(r)\` per op, an idle resource each time`,
      unit: `${CYCLES} cycles`,
      contenders: acquireContenders(),
      isolate: { module: import.meta.url, factory: 'acquireContenders', params: {} },
      note:
        'Each row runs in its own process, so the subscribed row’s subscriber never reaches the ' +
        'others. The cost of one check is derived below.',
    });
    const extra = rows.find((row) => row.contender === EXTRA_ROW);
    const shipped = rows.find((row) => row.anchor);
    if (extra?.ratio !== undefined && shipped !== undefined) {
      const cycleNs = 1e9 / (shipped.opsPerSec.median * CYCLES);
      const perCheck = (1 - extra.ratio) / EXTRA; // the share of a cycle one check costs
      const verdict = perCheck <= 0.02 ? 'met' : 'missed';
      ctx.report(
        'pool-acquire-check',
        'Diagnostics channels: one check’s cost on the pool’s fast acquire (from the medians above)',
        markdownTable(
          [
            'fast cycle, as shipped',
            `${EXTRA} checks more: ratio`,
            'one check: share of a cycle',
            'target ≤ 2 %',
          ],
          [
            [
              `${formatFixed(cycleNs, 1)} ns`,
              formatRatio(extra.ratio),
              `${formatFixed(perCheck * 100, 2)} %`,
              verdict,
            ],
          ],
        ),
      );
    }
    if (sink === -1) ctx.log(String(sink));
  },
});
