import { describe, expect, it } from 'vitest';
import { jsonSerializer } from './Serializer.js';

describe('jsonSerializer', () => {
  it('round-trips Dates and Buffers anywhere in a value', () => {
    // #region json
    const text = jsonSerializer.serialize({ at: new Date(0), avatar: Buffer.from([1, 2, 3]) });
    const back = jsonSerializer.deserialize(text) as { at: Date; avatar: Buffer };
    // back.at instanceof Date, Buffer.isBuffer(back.avatar)
    // #endregion json
    expect(back.at).toBeInstanceOf(Date);
    expect(back.at.getTime()).toBe(0);
    expect(Buffer.isBuffer(back.avatar)).toBe(true);
    expect([...back.avatar]).toEqual([1, 2, 3]);
    const nested = { list: [new Date(5), { b: Buffer.from('hi') }], plain: { type: 'Buffer', data: [1] } };
    const again = jsonSerializer.deserialize(jsonSerializer.serialize(nested)) as typeof nested;
    expect(again).toEqual(nested);
    expect(again.plain).toEqual({ type: 'Buffer', data: [1] });
    const invalid = jsonSerializer.deserialize(jsonSerializer.serialize(new Date(Number.NaN))) as Date;
    expect(Number.isNaN(invalid.getTime())).toBe(true);
  });

  it('follows JSON for everything else', () => {
    expect(
      jsonSerializer.deserialize(jsonSerializer.serialize({ a: undefined, n: Number.NaN, s: 'x' })),
    ).toEqual({
      n: null,
      s: 'x',
    });
    expect(() => jsonSerializer.serialize(1n)).toThrow(TypeError);
  });
});
