// Mailbox (#17) on one local redis-server: messages stored per second (post) and delivered
// (read + ack) with 64 calls in flight over 1,000 recipients, beside the floor of what Redis does
// for the same work with raw commands (XADD MAXLEN ~ as socket.io's streams adapter stores each
// packet; XRANGE + XTRIM MINID to deliver), all in this process run; and the Redis memory one
// stored message costs. Latency per call with hdr-histogram.
import hdr from 'hdr-histogram-js';
import { Redis } from 'ioredis';
import { Mailbox } from '../../src/mailbox/index.js';
import { startBenchRedis } from '../redis.js';
import { formatFixed, formatInt, markdownTable } from '../report.js';
import { defineSuite, type SuiteContext } from '../suite.js';

const RECIPIENTS = 1_000;
const IN_FLIGHT = 64;
const MESSAGE = { from: 'user-12345', room: 'general', text: 'x'.repeat(64), at: 1_733_500_000_000 };

type Row = { contender: string; perSec: number; p50Us: number; p99Us: number };

/** Runs `call(i)` for i = 0…total-1 with IN_FLIGHT in flight; per-second rate and latencies. */
async function drive(contender: string, total: number, call: (i: number) => Promise<unknown>): Promise<Row> {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000 });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < total) {
        const i = next++;
        const t = performance.now();
        await call(i);
        histogram.recordValue(Math.max(1, Math.round((performance.now() - t) * 1000)));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    contender,
    perSec: total / seconds,
    p50Us: histogram.getValueAtPercentile(50),
    p99Us: histogram.getValueAtPercentile(99),
  };
}

function table(rows: readonly Row[], unit: string): string {
  const floor = rows[rows.length - 1] as Row;
  return markdownTable(
    ['contender', `${unit}/s`, '× raw commands', 'p50 µs', 'p99 µs'],
    rows.map((r) => [
      r.contender,
      formatInt(r.perSec),
      formatFixed(r.perSec / floor.perSec, 2),
      formatInt(r.p50Us),
      formatInt(r.p99Us),
    ]),
    ['l', 'r', 'r', 'r', 'r'],
  );
}

async function usedMemory(client: Redis): Promise<number> {
  const info = await client.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

async function measure(ctx: SuiteContext): Promise<void> {
  const server = await startBenchRedis(ctx, 'mailbox', 'Mailbox');
  if (server === undefined) return;
  const client = new Redis(server.url);
  try {
    const total = ctx.quick ? 10_000 : 100_000;
    const perRecipient = total / RECIPIENTS;
    const mailbox = new Mailbox({ client, maxMessages: 1_000 });
    const text = JSON.stringify(MESSAGE);
    const recipient = (i: number) => `user-${i % RECIPIENTS}`;

    // Warm-up: scripts loaded, connection and JIT warm.
    await drive('warm', 2_000, (i) => mailbox.post(`warm-${i % 10}`, MESSAGE));
    await client.flushall();

    ctx.log(`mailbox: storing ${formatInt(total)} messages`);
    const before = await usedMemory(client);
    const stored = await drive('**Mailbox.post**', total, (i) => mailbox.post(recipient(i), MESSAGE));
    const bytesPerMessage = ((await usedMemory(client)) - before) / total;
    const rawStored = await drive('raw XADD MAXLEN ~ 1000 (socket.io streams adapter)', total, (i) =>
      client.xadd(`raw:{${recipient(i)}}`, 'MAXLEN', '~', 1_000, '*', 'm', text),
    );
    const rawBytes = ((await usedMemory(client)) - before) / total - bytesPerMessage;

    // Delivery: each recipient's messages read in pages of 100 and acknowledged, as a reconnect does.
    const page = Math.min(100, perRecipient);
    const reads = (RECIPIENTS * perRecipient) / page;
    const cursors = new Map<string, string | undefined>();
    ctx.log(`mailbox: delivering ${formatInt(total)} messages`);
    const delivered = await drive('**Mailbox.read + ack**', reads, async (i) => {
      const r = recipient(i);
      const { messages } = await mailbox.read(r, { after: cursors.get(r), limit: page });
      const last = messages.at(-1)?.id;
      cursors.set(r, last);
      if (last !== undefined) await mailbox.ack(r, last);
    });
    const rawCursors = new Map<string, string>();
    const rawDelivered = await drive('raw XRANGE + XTRIM MINID (+ JSON.parse)', reads, async (i) => {
      const key = `raw:{${recipient(i)}}`;
      const after = rawCursors.get(key);
      const entries = await client.xrange(key, after === undefined ? '-' : `(${after}`, '+', 'COUNT', page);
      // The same work a reader does with what it got: each message decoded.
      for (const [, fields] of entries) JSON.parse(fields[1] as string);
      const last = entries.at(-1)?.[0];
      if (last === undefined) return;
      rawCursors.set(key, last);
      const [ms, seq] = last.split('-') as [string, string];
      await client.xtrim(key, 'MINID', `${ms}-${Number(seq) + 1}`);
    });
    const perMessage = (row: Row): Row => ({ ...row, perSec: row.perSec * page });
    ctx.report(
      'mailbox',
      'Mailbox — store and deliver on one local redis-server',
      `**Stored** (one message per call, ${IN_FLIGHT} calls in flight, ${formatInt(RECIPIENTS)} recipients, a ${text.length}-byte JSON message):\n\n${table([stored, rawStored], 'messages')}\n\n**Delivered** (read a page of ${page} after the cursor, then ack it; messages/s = pages/s × ${page}; latency per page):\n\n${table([perMessage(delivered), perMessage(rawDelivered)], 'messages')}\n\n**Redis memory per stored message** (used_memory delta over ${formatInt(total)} messages, ${perRecipient} per recipient): Mailbox ${formatInt(bytesPerMessage)} B, raw stream entry ${formatInt(rawBytes)} B. The Mailbox stores more per call than the raw floor (the cap and TTL trim, the counters of lost messages, the expiry of both keys), all in one script.`,
    );
  } finally {
    client.disconnect();
    await server.stop();
  }
}

export default defineSuite({
  name: 'mailbox',
  title: 'Mailbox: offline delivery on Redis',
  anchors: ['ioredis'],
  async run(ctx) {
    if (ctx.selected('mailbox')) await measure(ctx);
  },
});
