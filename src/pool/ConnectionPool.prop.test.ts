// Concurrency caps under every interleaving: borrowers acquire (some with a signal they abort),
// hold and release while the pool is resized, with create, validate and destroy completing in
// an order fast-check's scheduler picks. In use never exceeds `max` when a resource is handed
// out, every acquire settles, and the only rejection is the abort reason of a borrower that aborted.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConnectionPoolManager } from './ConnectionPoolManager.js';

type Borrower = { abortAfterYield: boolean };

describe('ConnectionPool (property)', () => {
  it('never lends more than max and settles every acquire, under any interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        fc.array(fc.record({ abortAfterYield: fc.boolean() }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 4 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        async (s, max, withValidate, borrowers: Borrower[], resizes, validity) => {
          let next = 0;
          let validations = 0;
          const manager = new ConnectionPoolManager();
          const pool = manager.register(
            'p',
            {
              create: () => s.schedule(Promise.resolve({ id: next++ }), 'create'),
              destroy: () => s.schedule(Promise.resolve(), 'destroy'),
              validate: withValidate
                ? () =>
                    s.schedule(
                      Promise.resolve(validity[validations++ % validity.length] === true),
                      'validate',
                    )
                : undefined,
            },
            { max, idleTimeoutMs: 0 },
          );
          const held = new Set<unknown>();
          let violations = 0;
          let settled = 0;
          const unexpected: unknown[] = [];
          const runs = borrowers.map(async (b, i) => {
            const controller = b.abortAfterYield ? new AbortController() : undefined;
            const acquiring = pool.acquire(
              controller === undefined ? undefined : { signal: controller.signal },
            );
            const reason = new Error(`abort ${i}`);
            if (controller !== undefined)
              void s.schedule(Promise.resolve(), `abort ${i}`).then(() => controller.abort(reason));
            let conn: { id: number };
            try {
              conn = await acquiring;
            } catch (error) {
              settled++;
              // Nothing but this borrower's own abort may turn its acquire down.
              if (!(controller?.signal.aborted === true && error === reason)) unexpected.push(error);
              return;
            }
            settled++;
            if (held.has(conn)) violations++; // lent twice
            held.add(conn);
            if (held.size > pool.max) violations++;
            await s.schedule(Promise.resolve(), `hold ${i}`);
            held.delete(conn);
            pool.release(conn);
          });
          const resizing = resizes.map((m) =>
            s.schedule(Promise.resolve(m), 'resize').then((m) => pool.resize({ max: m })),
          );
          await s.waitFor(Promise.all([...runs, ...resizing]));
          expect(violations).toBe(0);
          expect(settled).toBe(borrowers.length);
          expect(unexpected).toEqual([]);
          await s.waitAll(); // validations of resources whose borrower aborted meanwhile
          // ...and what those settle (validations run under createTimeoutMs's deadline).
          await new Promise((resolve) => setImmediate(resolve));
          const stats = pool.stats();
          expect(stats).toMatchObject({ borrowed: 0, waiting: 0 });
          expect(stats.size).toBeLessThanOrEqual(pool.max);
          const closing = manager.close();
          await s.waitFor(closing);
        },
      ),
      // A run that hangs fails the property (seed reported) before vitest's 20 s timeout.
      { numRuns: 300, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: true },
    );
  });
});
