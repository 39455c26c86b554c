// A node's weight is memory (ring points, jump buckets): weights and the points they buy are
// bounded, and a node past the bound is refused when given, in a moment, with a coded error.
// Before the bound, weight 1,000,000 on the default ring did not finish building in 120 s.
import { describe, expect, it } from 'vitest';
import { ConsistentHashSharder } from './ConsistentHashSharder.js';
import { MAX_NODE_WEIGHT, MAX_POINTS } from './pointBudget.js';

const refused = (option: string) => expect.objectContaining({ code: 'ERR_LOADSTONE_INVALID_OPTION', option });

describe('the point budget of a sharder', () => {
  it('refuses a ring node whose points alone pass the budget, naming the weight', () => {
    // 2,048 vnodes × 1,000,000 = 2 billion points
    expect(() => new ConsistentHashSharder({ nodes: [{ id: 'a', weight: 1_000_000 }] })).toThrow(
      refused('options.nodes[0].weight'),
    );
    expect(() => new ConsistentHashSharder({ nodes: [{ id: 'a', weight: 2048 }] })).not.toThrow();
  });

  it('counts the points of every node, and frees a removed node’s', () => {
    const sharder = new ConsistentHashSharder({ nodes: [{ id: 'a', weight: 1024 }], vnodes: 2048 });
    sharder.addNode({ id: 'b', weight: 1024 }); // 4,194,304 points: exactly the budget
    expect(() => sharder.addNode({ id: 'c', weight: 0.001 })).toThrow(refused('node.weight'));
    expect(() => sharder.plan({ add: [{ id: 'c', weight: 1 }] })).toThrow(refused('change.add[0].weight'));
    expect(sharder.plan({ remove: ['b'], add: [{ id: 'c', weight: 1 }] }).moves.length).toBeGreaterThan(0);
    sharder.removeNode('b');
    expect(() => sharder.addNode({ id: 'c', weight: 1000 })).not.toThrow();
  });

  it('bounds jump buckets the same way', () => {
    const nodes = ['a', 'b', 'c', 'd'].map((id) => ({ id, weight: MAX_NODE_WEIGHT })); // 4,000,000 buckets
    const sharder = new ConsistentHashSharder({ algorithm: 'jump', nodes });
    expect(() => sharder.addNode({ id: 'e', weight: 200_000 })).toThrow(refused('node.weight'));
    expect(() => sharder.addNode({ id: 'e', weight: MAX_POINTS - 4_000_000 })).not.toThrow();
  });

  it('refuses weights past the largest for every algorithm, 1e300 included', () => {
    for (const algorithm of ['ring', 'ketama', 'jump', 'rendezvous', 'maglev'] as const) {
      for (const weight of [MAX_NODE_WEIGHT + 1, 1e300]) {
        expect(
          () => new ConsistentHashSharder({ algorithm, nodes: [{ id: 'a', weight }] } as never),
          `${algorithm} ${weight}`,
        ).toThrow(refused('options.nodes[0].weight'));
      }
    }
  });
});
