import type { HealthCheckResult, HealthStatus } from '../core/HealthCheck.js';
import { setOwnEntry } from '../core/internal/ownEntry.js';
import type { HealthCheckState, HealthSnapshot } from './HealthMonitorOptions.js';
import type { HealthSample } from './HealthSample.js';

const EMPTY_SAMPLE: HealthSample = Object.freeze({
  eventLoopDelay: Object.freeze({ p50: 0, p99: 0, max: 0, mean: 0 }),
  eventLoopUtilization: 0,
  heapUsedBytes: 0,
  heapLimitBytes: 0,
  rssBytes: 0,
  cpuPercent: 0,
});

/**
 * What a HealthMonitor knows as of its latest evaluated sample (the measurements, the reasons,
 * each check's state), and its plain forms: the snapshot and the monitor's own check result.
 * The status, the shutdown flag and the shed count are the monitor's and passed in.
 */
export class LatestSample {
  #sample: HealthSample = EMPTY_SAMPLE;
  #reasons: readonly string[] = [];
  #at = 0;
  #samples = 0;
  /** Each check's latest state, by name. */
  checks: Readonly<Record<string, HealthCheckState>> = {};

  /** Keeps an evaluated sample and its reasons, stamped now. */
  record(sample: HealthSample, reasons: readonly string[]): void {
    this.#sample = sample;
    this.#reasons = reasons;
    this.#at = Date.now();
    this.#samples++;
  }

  /** A fresh plain object, safe to `JSON.stringify`. */
  snapshot(status: HealthStatus, shuttingDown: boolean, shedRequests: number): HealthSnapshot {
    const s = this.#sample;
    const checks: Record<string, HealthCheckState> = {};
    for (const [name, state] of Object.entries(this.checks)) setOwnEntry(checks, name, { ...state });
    return {
      status,
      reasons: [...this.#reasons],
      at: this.#at,
      eventLoopDelay: { ...s.eventLoopDelay },
      eventLoopUtilization: s.eventLoopUtilization,
      heapUsedBytes: s.heapUsedBytes,
      heapLimitBytes: s.heapLimitBytes,
      rssBytes: s.rssBytes,
      cpuPercent: s.cpuPercent,
      checks,
      shuttingDown,
      shedRequests,
      samples: this.#samples,
    };
  }

  /** The monitor's verdict as a check named `name`: the reasons as the message. */
  checkResult(name: string, status: HealthStatus, shuttingDown: boolean): HealthCheckResult {
    const s = this.#sample;
    return {
      status,
      message: this.#reasons.length === 0 ? `${name} is ${status}` : this.#reasons.join('; '),
      details: {
        eventLoopDelayP99Ms: s.eventLoopDelay.p99,
        eventLoopUtilization: s.eventLoopUtilization,
        heapUsedBytes: s.heapUsedBytes,
        heapLimitBytes: s.heapLimitBytes,
        rssBytes: s.rssBytes,
        shuttingDown,
      },
    };
  }
}
