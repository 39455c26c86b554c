import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { InvalidOptionError, NoTargetError } from '../core/errors/index.js';
import { ConsistentHashSharder } from './ConsistentHashSharder.js';
import { ShardRouter } from './ShardRouter.js';
import {
  shardByContentType,
  shardByDateRange,
  shardByField,
  shardByGeography,
} from './shardKeyStrategies.js';

type Order = { userId: string; placedAt: Date; country: string; contentType: string };
const order: Order = {
  userId: 'u-42',
  placedAt: new Date('2026-11-22T18:30:00Z'),
  country: 'de',
  contentType: 'image/png',
};

describe('ShardRouter', () => {
  it('routes records through a strategy and the sharder, honouring pins', () => {
    // #region router
    const sharder = new ConsistentHashSharder({ nodes: ['db-eu-1', 'db-us-1', 'db-us-2'] });
    const router = new ShardRouter<Order>({
      sharder,
      strategy: shardByGeography('country', { eu: ['DE', 'FR'], us: ['US'] }),
      pins: { 'region:eu': 'db-eu-1' }, // EU data stays on the EU node
    });
    router.route(order); // 'db-eu-1'
    router.shardKey(order); // 'region:eu'
    // #endregion router
    expect(router.route(order)).toBe('db-eu-1');
    expect(router.shardKey(order)).toBe('region:eu');
    const us = router.route({ ...order, country: 'US' });
    expect(us).toBe(sharder.getNode('region:us'));
    expect(router.routeMany(order, 2)[0]).toBe('db-eu-1');
    expect(new Set(router.routeMany(order, 3)).size).toBe(3);
  });

  it('offers the sharding strategies servers use', () => {
    // #region strategies
    const byUser = shardByField<Order>('userId', { prefix: 'user:' }); // 'user:u-42'
    const byMonth = shardByDateRange<Order>('placedAt', 'month'); // '2026-11'
    const byType = shardByContentType<Order>('contentType', { 'image/*': 'media', 'video/*': 'media' }); // 'type:media'
    const byRegion = shardByGeography<Order>('country', { eu: ['DE', 'FR'] }, 'rest'); // 'region:eu'
    // #endregion strategies
    expect(byUser(order)).toBe('user:u-42');
    expect(byMonth(order)).toBe('2026-11');
    expect(shardByDateRange<Order>('placedAt', 'day')(order)).toBe('2026-11-22');
    expect(shardByDateRange<Order>('placedAt', 'hour')(order)).toBe('2026-11-22T18');
    expect(shardByDateRange<Order>('placedAt', 'year')(order)).toBe('2026');
    expect(shardByDateRange<{ at: number }>('at', 'day')({ at: Date.UTC(2020, 0, 2) })).toBe('2020-01-02');
    expect(byType(order)).toBe('type:media');
    expect(byType({ ...order, contentType: 'Video/MP4; codecs=avc1' })).toBe('type:media');
    expect(byType({ ...order, contentType: 'text/html' })).toBe('type:text/html');
    expect(
      shardByContentType<Order>('contentType', {}, 'other')({ ...order, contentType: 'text/html' }),
    ).toBe('type:other');
    expect(byRegion(order)).toBe('region:eu');
    expect(byRegion({ ...order, country: 'JP' })).toBe('region:rest');
    expect(shardByField<{ id: number }>('id')({ id: 7 })).toBe(7);
  });

  it('refuses records the strategy cannot key, and pins to missing nodes', () => {
    const sharder = new ConsistentHashSharder({ nodes: ['a'] });
    const route = (strategy: (record: Order) => string | number, record: Order = order, pins = {}) =>
      new ShardRouter<Order>({ sharder, strategy, pins }).route(record);
    expect(() => route(shardByField<Order>('userId'), { ...order, userId: undefined as never })).toThrow(
      InvalidOptionError,
    );
    expect(() =>
      route(shardByDateRange<Order>('placedAt', 'day'), { ...order, placedAt: new Date('nope') }),
    ).toThrow(/record.placedAt/);
    expect(() =>
      route(shardByGeography<Order>('country', { eu: ['DE'] }), { ...order, country: 'JP' }),
    ).toThrow(/record.country/);
    expect(() => route(shardByContentType<Order>('contentType'), { ...order, contentType: '' })).toThrow(
      /record.contentType/,
    );
    expect(() => route(() => ({}) as never)).toThrow(/strategy\(record\)/);
    expect(() => route(() => 'pinned', order, { pinned: 'gone' })).toThrow(/pins\["pinned"\]/);
    expect(() => new ShardRouter<Order>({ sharder, strategy: 'userId' as never })).toThrow(
      /options.strategy/,
    );
    expect(() => new ShardRouter<Order>({ sharder: {} as never, strategy: () => 'k' })).toThrow(
      /options.sharder/,
    );
    expect(() => shardByDateRange<Order>('placedAt', 'week' as never)).toThrow(/unit/);
    sharder.removeNode('a');
    expect(() => route(shardByField<Order>('userId'))).toThrow(NoTargetError);
  });

  it("puts a pinned key on its pin, and its replicas after it in the sharder's order", () => {
    const sharder = new ConsistentHashSharder({ nodes: ['a', 'b', 'c', 'd'] });
    const owner = sharder.getNode('k');
    const pin = sharder.getNodes('k', 4)[3] as string; // the node the sharder lists last
    const router = new ShardRouter<string>({ sharder, strategy: (key) => key, pins: { k: pin } });
    const rest = sharder.getNodes('k', 4).filter((node) => node !== pin);
    expect(router.route('k')).toBe(pin);
    expect(router.routeMany('k', 1)).toEqual([pin]);
    expect(router.routeMany('k', 2)).toEqual([pin, owner]);
    expect(router.routeMany('k', 4)).toEqual([pin, ...rest]);
    // An unpinned key's replicas are the sharder's.
    expect(router.routeMany('other', 3)).toEqual(sharder.getNodes('other', 3));
    // Pins are matched on the key's string form, so a number key can be pinned.
    const byNumber = new ShardRouter<number>({ sharder, strategy: (n) => n, pins: { 7: pin } });
    expect(byNumber.route(7)).toBe(pin);
    expect(byNumber.route(8)).toBe(sharder.getNode(8));
    // Without pins, every key goes where the sharder puts it.
    const plain = new ShardRouter<string>({ sharder, strategy: (key) => key });
    expect(plain.route('k')).toBe(owner);
    expect(plain.shardKey('k')).toBe('k');
  });

  it('says which option is wrong and what it must be', () => {
    const sharder = new ConsistentHashSharder({ nodes: ['a'] });
    const strategy = (key: string) => key;
    for (const options of [undefined, {}, { sharder: {} }, { sharder: { getNode: 'a' } }]) {
      expectInvalidOption(
        () => new ShardRouter<string>({ strategy, ...(options as object) } as never),
        'options.sharder',
        'a ConsistentHashSharder',
      );
    }
    expectInvalidOption(
      () => new ShardRouter(undefined as never),
      'options.sharder',
      'a ConsistentHashSharder',
    );
    expectInvalidOption(
      () => new ShardRouter<string>({ sharder, strategy: 'id' as never }),
      'options.strategy',
      'a function',
    );
    for (const node of ['', 5, null]) {
      expectInvalidOption(
        () => new ShardRouter<string>({ sharder, strategy, pins: { 'a"b': node as never } }),
        'options.pins["a\\"b"]',
        'a node id',
      );
    }
    const router = new ShardRouter<unknown>({
      sharder,
      strategy: (record) => record as string,
      pins: { 1: 'x' },
    });
    for (const key of [{}, null, Number.NaN]) {
      expectInvalidOption(() => router.shardKey(key), 'strategy(record)', 'a string or a finite number');
    }
    expectInvalidOption(() => router.route(1), 'pins["1"]', 'a node in the sharder');
    expectInvalidOption(() => router.routeMany(1, 1), 'pins["1"]', 'a node in the sharder');
  });
});
