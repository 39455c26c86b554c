// A backend's weight buys points on the hash pickers' ring: past the sharder's budget, the pick
// gets a coded error at once (a weight of 100,000 on the default ring hung the first pick).
import { describe, expect, it } from 'vitest';
import { ConsistentHashPicker } from './ConsistentHashPicker.js';
import { LoadBalancer } from './LoadBalancer.js';

describe('a backend too heavy for a hash ring', () => {
  it('turns a balancer backend too heavy for a hash ring into a coded error on pick, not a hang', () => {
    const lb = new LoadBalancer({
      backends: [{ id: 'a', target: 1, weight: 100_000 }],
      strategy: new ConsistentHashPicker(),
    });
    expect(() => lb.pick({ key: 'user-1' })).toThrow(
      expect.objectContaining({ code: 'ERR_LOADSTONE_INVALID_OPTION', option: 'backend "a" weight' }),
    );
  });
});
