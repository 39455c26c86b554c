import { describe, expect, it } from 'vitest';
import { sharesMachine, useShareTimers } from '../../../test/helpers/rateLimitShares.js';
import type { RateLimitRule } from '../../resilience/index.js';
import { checkRule, ruleSignature } from './rateLimitRules.js';

/** A SlowDown's rule: its delays come from the key's whole count, so no worker holds a share. */
const EXACT: RateLimitRule = Object.freeze({
  algorithm: 'sliding-window',
  keyPrefix: 'sd:',
  exact: true,
  limit: 100,
  periodMs: 60_000,
});

describe('ClusterRateLimitStore, a rule that asks for an exact count', () => {
  useShareTimers();

  it('counts every call of a key in the primary, so remaining is the whole key’s', async () => {
    const machine = sharesMachine(2, 4);
    const remaining: number[] = [];
    for (let i = 0; i < 6; i++) {
      const d = await machine.workers[i % 2]?.client.consume('k', EXACT, 1, performance.now());
      remaining.push(d?.remaining ?? -1);
    }
    expect(remaining).toEqual([99, 98, 97, 96, 95, 94]);
    expect(machine.service.size).toBe(1);
  });

  it('gives no worker a share of it, and keeps it apart from the same rule without exact', async () => {
    const machine = sharesMachine(1, 4);
    const { service } = machine;
    const declare = (id: number, rule: RateLimitRule) => service.call(10_000, 'rl.rule', [id, rule]);
    expect(declare(0, EXACT)).toEqual([0, 0, []]);
    const { exact: _exact, ...shared } = EXACT;
    const [namespace, fraction] = declare(1, shared as RateLimitRule) as [number, number];
    expect([namespace, fraction]).toEqual([1, 0.25]);
    expect(ruleSignature(checkRule(EXACT))).not.toBe(ruleSignature(checkRule(shared)));
    expect(checkRule({ ...EXACT, exact: 'yes' })).not.toHaveProperty('exact');
  });
});
