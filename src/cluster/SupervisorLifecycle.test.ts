import { afterEach, describe, expect, it } from 'vitest';
import type { SupervisorState } from './SupervisorHost.js';
import { SupervisorLifecycle } from './SupervisorLifecycle.js';

const held = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('SupervisorLifecycle', () => {
  const made: SupervisorLifecycle[] = [];
  const lifecycle = (...path: SupervisorState[]): SupervisorLifecycle => {
    const l = new SupervisorLifecycle();
    made.push(l);
    for (const state of path) l.moveTo(state);
    return l;
  };
  afterEach(() => {
    // Leave no held event loop behind a failed test.
    for (const l of made) if (l.state === 'running' || l.state === 'crashed') l.moveTo('stopping');
    made.length = 0;
  });

  it('moves along idle → running → crashed → stopping → stopped, and says when a stop began', () => {
    const l = lifecycle();
    expect(l.state).toBe('idle');
    expect(l.stopping).toBe(false);
    l.moveTo('running');
    l.moveTo('crashed');
    expect(l.stopping).toBe(false);
    l.moveTo('stopping');
    expect(l.stopping).toBe(true);
    l.moveTo('stopped');
    expect([l.state, l.stopping]).toEqual(['stopped', true]);
  });

  it.each([
    [[], 'crashed'],
    [[], 'stopped'],
    [['running'], 'idle'],
    [['running'], 'stopped'],
    [['running', 'crashed'], 'running'],
    [['running', 'stopping'], 'running'],
    [['running', 'stopping'], 'crashed'],
    [['stopping', 'stopped'], 'running'],
    [['stopping', 'stopped'], 'stopping'],
  ] as [SupervisorState[], SupervisorState][])('refuses %j → %s, and stays where it was', (path, next) => {
    const l = lifecycle(...path);
    const before = l.state;
    expect(() => l.moveTo(next)).toThrow(`cannot go from ${before} to ${next}`);
    expect(l.state).toBe(before);
  });

  it('holds the event loop open while running, and only then', () => {
    const base = held();
    const l = lifecycle('running');
    expect(held()).toBe(base + 1);
    l.moveTo('crashed');
    expect(held()).toBe(base);
    const m = lifecycle('running');
    m.moveTo('stopping');
    expect(held()).toBe(base);
  });
});
