// Mailbox against a model, on a real redis-server: any sequence of posts (single and batched),
// acknowledgements (of stored ids, old ids and ids from the future) and paged reads from any
// cursor gives exactly the model's messages, loss counts and gap flags, under both full-mailbox
// policies. The cap is small so the drops are exercised.
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { CapacityExceededError } from '../../src/core/errors/index.js';
import { compareMailboxIds, Mailbox } from '../../src/mailbox/index.js';
import { partsClient } from '../helpers/partsClient.js';
import { describeWithRedis } from '../helpers/redis.js';

type Op =
  | { readonly kind: 'post'; readonly count: number }
  | { readonly kind: 'ack'; readonly pick: number; readonly future: boolean }
  | { readonly kind: 'read'; readonly pick: number; readonly fromStart: boolean; readonly limit: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('post' as const), count: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('ack' as const), pick: fc.nat(), future: fc.boolean() }),
  fc.record({
    kind: fc.constant('read' as const),
    pick: fc.nat(),
    fromStart: fc.boolean(),
    limit: fc.integer({ min: 1, max: 6 }),
  }),
);

/** What the mailbox must hold: the unacknowledged messages and what was dropped unread. */
class Model {
  stored: { id: string; message: number }[] = [];
  ids: string[] = []; // every id ever returned, in order
  lost = 0;
  lastLost: string | undefined;
  constructor(readonly max: number) {}

  posted(ids: string[], messages: number[]): void {
    for (const [i, id] of ids.entries()) this.stored.push({ id, message: messages[i] as number });
    this.ids.push(...ids);
    const excess = this.stored.length - this.max;
    if (excess > 0) {
      this.lost += excess;
      this.lastLost = this.stored[excess - 1]?.id;
      this.stored = this.stored.slice(excess);
    }
  }

  acked(id: string): number {
    const last = this.ids.at(-1);
    const upTo = last !== undefined && compareMailboxIds(id, last) > 0 ? last : id;
    const before = this.stored.length;
    this.stored = this.stored.filter((m) => compareMailboxIds(m.id, upTo) > 0);
    return last === undefined ? 0 : before - this.stored.length;
  }

  read(after: string | undefined, limit: number) {
    const messages = this.stored.filter((m) => after === undefined || compareMailboxIds(m.id, after) > 0);
    const gap =
      after !== undefined &&
      (this.ids.length === 0 ||
        compareMailboxIds(after, this.ids[0] as string) < 0 ||
        (this.lastLost !== undefined && compareMailboxIds(after, this.lastLost) < 0));
    return { messages: messages.slice(0, limit), gap, lost: this.lost };
  }
}

describeWithRedis('Mailbox (property)', (getRedis) => {
  let client: Redis | undefined;
  afterAll(() => client?.disconnect());

  it.each(['drop-oldest', 'reject'] as const)('matches the model with whenFull: %s', async (whenFull) => {
    client ??= partsClient(getRedis().url);
    const box = new Mailbox<number>({ client, maxMessages: 5, whenFull, prefix: `prop-${whenFull}:` });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const recipient = `r${run++}`;
        const model = new Model(5);
        let next = 0;
        for (const o of ops) {
          if (o.kind === 'post') {
            const messages = Array.from({ length: o.count }, () => next++);
            const full = whenFull === 'reject' && model.stored.length + o.count > model.max;
            const ids = await box.postMany(recipient, messages).catch((e: unknown) => e);
            if (full) {
              expect(ids).toBeInstanceOf(CapacityExceededError);
            } else {
              expect(Array.isArray(ids)).toBe(true);
              model.posted(ids as string[], messages);
            }
          } else if (o.kind === 'ack') {
            const id =
              o.future || model.ids.length === 0
                ? '999999999999999-0'
                : (model.ids[o.pick % model.ids.length] as string);
            expect(await box.ack(recipient, id)).toBe(model.acked(id));
          } else {
            const after =
              o.fromStart || model.ids.length === 0 ? undefined : model.ids[o.pick % model.ids.length];
            expect(await box.read(recipient, { after, limit: o.limit })).toEqual(model.read(after, o.limit));
          }
        }
        const size = await box.size(recipient);
        expect(size.unacknowledged).toBe(model.stored.length);
        expect(size.lost).toBe(model.lost);
      }),
      { numRuns: 60, interruptAfterTimeLimit: 60_000, markInterruptAsFailure: true },
    );
  });
});
