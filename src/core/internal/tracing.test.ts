import { tracingChannel } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { Tracer } from './tracing.js';

type Context = { op: string; result?: unknown; error?: unknown };
const EVENTS = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const;

describe('Tracer', () => {
  it('is active while any one of its five events has a subscriber, and only then', () => {
    const tracer = new Tracer<Context>('loadstone:test:active');
    const channel = tracingChannel('loadstone:test:active');
    expect(tracer.active).toBe(false);
    for (const event of EVENTS) {
      const listener = () => {};
      channel[event].subscribe(listener);
      expect(tracer.active, event).toBe(true);
      channel[event].unsubscribe(listener);
      expect(tracer.active, event).toBe(false);
    }
  });

  it('runs work under its events, the result or the error on the context, a synchronous throw as a rejection', async () => {
    const tracer = new Tracer<Context>('loadstone:test:trace');
    const seen: string[] = [];
    const handlers = Object.fromEntries(
      EVENTS.map((event) => [event, (context: unknown) => seen.push(`${event}:${(context as Context).op}`)]),
    );
    tracingChannel('loadstone:test:trace').subscribe(handlers as never);
    const ok: Context = { op: 'ok' };
    expect(await tracer.trace(async () => 42, ok)).toBe(42);
    expect(ok.result).toBe(42);
    const failed: Context = { op: 'failed' };
    const boom = new Error('boom');
    await expect(tracer.trace(() => Promise.reject(boom), failed)).rejects.toBe(boom);
    const thrown: Context = { op: 'thrown' };
    await expect(
      tracer.trace(() => {
        throw boom;
      }, thrown),
    ).rejects.toBe(boom);
    expect([failed.error, thrown.error]).toEqual([boom, boom]);
    expect(seen).toEqual([
      'start:ok',
      'end:ok',
      'asyncStart:ok',
      'asyncEnd:ok',
      'start:failed',
      'end:failed',
      'error:failed',
      'asyncStart:failed',
      'asyncEnd:failed',
      'start:thrown',
      'end:thrown',
      'error:thrown',
      'asyncStart:thrown',
      'asyncEnd:thrown',
    ]);
  });
});
