import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HealthCheck, HealthCheckResult, HealthStatus } from './HealthCheck.js';
import { healthStatuses, worstStatus } from './HealthCheck.js';

describe('healthStatuses', () => {
  it('lists every status, best first', () => {
    // #region healthStatuses
    const severity = healthStatuses.indexOf('degraded'); // 1
    const acceptable = healthStatuses.filter((status) => status !== 'critical'); // ['healthy', 'degraded']
    // #endregion healthStatuses
    expect(severity).toBe(1);
    expect(acceptable).toEqual(['healthy', 'degraded']);
    expect(healthStatuses).toEqual(['healthy', 'degraded', 'critical']);
    expect(Object.isFrozen(healthStatuses)).toBe(true);
  });
});

describe('worstStatus', () => {
  it('picks the more severe status', () => {
    // #region worstStatus
    const results: HealthStatus[] = ['healthy', 'degraded', 'healthy'];
    const overall = results.reduce(worstStatus, 'healthy'); // 'degraded'
    // #endregion worstStatus
    expect(overall).toBe('degraded');
    expect(worstStatus('critical', 'degraded')).toBe('critical');
    expect(worstStatus('healthy', 'healthy')).toBe('healthy');
  });

  it('is commutative, associative and has healthy as identity', () => {
    const status = fc.constantFrom(...healthStatuses);
    fc.assert(
      fc.property(status, status, status, (a, b, c) => {
        expect(worstStatus(a, b)).toBe(worstStatus(b, a));
        expect(worstStatus(worstStatus(a, b), c)).toBe(worstStatus(a, worstStatus(b, c)));
        expect(worstStatus(a, 'healthy')).toBe(a);
        expect(worstStatus(a, 'critical')).toBe('critical');
      }),
    );
  });

  it('rejects an unknown status', () => {
    expect(() => worstStatus('ok' as HealthStatus, 'healthy')).toThrow(
      expect.objectContaining({
        code: 'ERR_LOADSTONE_INVALID_OPTION',
        message: 'Expected `a` to be one of "healthy", "degraded", "critical", got `"ok"` (string)',
      }),
    );
    expect(() => worstStatus('healthy', 'toString' as HealthStatus)).toThrow('Expected `b` to be one of');
  });
});

describe('HealthCheck', () => {
  it('reports a plain, serialisable result', async () => {
    // #region healthCheck
    const queueDepth: HealthCheck = {
      name: 'queue:jobs',
      async check(): Promise<HealthCheckResult> {
        const pending = 120;
        const limit = 100;
        return pending > limit
          ? { status: 'degraded', message: `${pending} jobs pending`, details: { pending, limit } }
          : { status: 'healthy' };
      },
    };
    const result = await queueDepth.check(AbortSignal.timeout(1_000));
    // result.status === 'degraded'; JSON.stringify(result) is safe to serve
    // #endregion healthCheck
    expect(result).toEqual({
      status: 'degraded',
      message: '120 jobs pending',
      details: { pending: 120, limit: 100 },
    });
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });
});
