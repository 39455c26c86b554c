import { describe, expectTypeOf, it } from 'vitest';
import type { JsonCompatible, JsonValue } from './Json.js';

describe('JsonValue', () => {
  it('accepts plain data and rejects what JSON cannot carry', () => {
    // #region jsonValue
    function send(message: JsonValue): string {
      return JSON.stringify(message);
    }
    send({ event: 'deploy', replicas: [1, 2, 3], meta: { by: null, dryRun: false } });
    // @ts-expect-error: functions do not survive JSON
    send({ run: () => {} });
    // #endregion jsonValue
    expectTypeOf<{ a?: number }>().toExtend<JsonValue>();
    expectTypeOf<bigint>().not.toExtend<JsonValue>();
    expectTypeOf<Date>().not.toExtend<JsonValue>();
    expectTypeOf<undefined>().not.toExtend<JsonValue>();
  });
});

describe('JsonCompatible', () => {
  it('accepts serialisable interfaces and rejects others, recursively', () => {
    // #region jsonCompatible
    interface QueueStats {
      size: number;
      byPriority: { high: number; low: number };
      lastError?: string;
    }
    function toJson<S extends JsonCompatible<S>>(stats: S): string {
      return JSON.stringify(stats);
    }
    toJson<QueueStats>({ size: 2, byPriority: { high: 1, low: 1 } });
    // @ts-expect-error: Date is a class instance, not plain data
    toJson<{ at: Date }>({ at: new Date() });
    // #endregion jsonCompatible
    expectTypeOf<{ n: { b: bigint } }>().not.toExtend<JsonCompatible<{ n: { b: bigint } }>>();
    expectTypeOf<{ f?: () => void }>().not.toExtend<JsonCompatible<{ f?: () => void }>>();
    expectTypeOf<{ m: Map<string, number> }>().not.toExtend<JsonCompatible<{ m: Map<string, number> }>>();
    expectTypeOf<{ t: [number, string][] }>().toExtend<JsonCompatible<{ t: [number, string][] }>>();
  });
});
