import { describe, expect, it } from 'vitest';
import { ConnectionPoolManager } from './ConnectionPoolManager.js';

describe('ConnectionPoolManager pool names', () => {
  it('keeps a pool named __proto__ in stats and in its health details, like any other', async () => {
    const manager = new ConnectionPoolManager();
    manager.register('__proto__', { create: () => ({}) });
    manager.register('db', { create: () => ({}) });
    expect(Object.keys(manager.stats().pools)).toEqual(['__proto__', 'db']);
    expect(manager.stats('__proto__').name).toBe('__proto__');
    const health = await manager.check();
    expect(Object.keys(health.details as object)).toEqual(['__proto__', 'db']);
    await manager.close();
  });
});
