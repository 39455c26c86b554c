import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { scripted } from '../../test/helpers/scriptedMonitor.js';

const request = (url: string) => ({ url, method: 'GET', headers: {} }) as IncomingMessage;

describe('HealthMonitor.shedDecision', () => {
  it('decides as loadShedding does, counting what it sheds, for an adapter to answer', async () => {
    const { monitor, sampler } = scripted();
    // #region shedDecision
    const { shed, retryAfterSeconds } = monitor.shedDecision({ allow: ['/admin'], retryAfterSeconds: 10 });
    // In a framework's hook: if (shed(req)) reply 503 with `Retry-After: ${retryAfterSeconds}`.
    // #endregion shedDecision
    expect(retryAfterSeconds).toBe(10);
    expect(shed(request('/orders'))).toBe(false);
    sampler.delay(400);
    await monitor.refresh();
    expect(monitor.status).toBe('critical');
    expect(shed(request('/orders'))).toBe(true);
    expect(shed(request('/admin/users'))).toBe(false);
    expect(shed(request('/ready'))).toBe(false); // the probes are never shed
    expect(shed(request('/live'))).toBe(false);
    expect(monitor.snapshot().shedRequests).toBe(1);
  });

  it('throws what allow throws, and refuses bad options at the call', async () => {
    const { monitor, sampler } = scripted();
    const { shed } = monitor.shedDecision({
      shedFrom: 'degraded',
      allow: () => {
        throw new Error('allow failed');
      },
    });
    expect(shed(request('/x'))).toBe(false); // healthy: allow is not even asked
    sampler.delay(400);
    await monitor.refresh();
    expect(() => shed(request('/x'))).toThrow('allow failed');
    expect(() => monitor.shedDecision({ retryAfter: 3 } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_LOADSTONE_INVALID_OPTION', option: 'options.retryAfter' }),
    );
  });
});
