import { describe, expect, it } from 'vitest';
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
});
