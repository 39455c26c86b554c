// The Kubernetes-style probe handlers of a HealthMonitor, node-style so that raw `http`, Express
// and Fastify (through `reply.raw`) all work.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HealthStatus } from '../core/HealthCheck.js';
import {
  booleanOption,
  checkOptionKeys,
  oneOfOption,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';
import type { HealthSnapshot, ReadinessOptions } from './HealthMonitorOptions.js';
import type { Level } from './thresholds.js';

const READINESS_OPTIONS = optionNames<ReadinessOptions>()(['unreadyFrom', 'detail']);

/** What the probes read of the monitor: its public state. */
export type ProbeHost = {
  readonly status: HealthStatus;
  readonly isShuttingDown: boolean;
  readonly closed: boolean;
  snapshot(): HealthSnapshot;
};

/** Answers 200 whenever the loop gets to run it (see `HealthMonitor.livenessHandler`). */
export function livenessHandler(host: ProbeHost): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    sendJson(req, res, 200, {
      alive: true,
      status: host.status,
      shuttingDown: host.isShuttingDown,
      pid: process.pid,
      uptimeMs: Math.round(process.uptime() * 1000),
    });
  };
}

/**
 * Answers 503 once shutting down or closed, or from `unreadyFrom` on; 200 otherwise (see
 * `HealthMonitor.readinessHandler`).
 *
 * @throws `InvalidOptionError` (`ERR_LOADSTONE_INVALID_OPTION`) for a bad option.
 */
export function readinessHandler(
  host: ProbeHost,
  levels: { readonly level: Level },
  options: ReadinessOptions | undefined,
): (req: IncomingMessage, res: ServerResponse) => void {
  const opts = optionsObject('options', options);
  checkOptionKeys(opts, READINESS_OPTIONS, 'readinessHandler');
  const from = opts.unreadyFrom;
  let unreadyLevel: number;
  if (from === false) unreadyLevel = 3;
  else if (from === undefined) unreadyLevel = 2;
  else
    unreadyLevel = oneOfOption('options.unreadyFrom', from, ['degraded', 'critical']) === 'critical' ? 2 : 1;
  const detail = opts.detail === undefined ? false : booleanOption('options.detail', opts.detail);
  return (req, res) => {
    const ready = !host.isShuttingDown && !host.closed && levels.level < unreadyLevel;
    let body: object;
    if (detail) body = { ready, ...host.snapshot() };
    else if (ready) body = { ready, status: host.status, shuttingDown: host.isShuttingDown };
    else body = { ready, status: host.status, shuttingDown: host.isShuttingDown, reasons: reasonsOf(host) };
    sendJson(req, res, ready ? 200 : 503, body);
  };
}

/**
 * Why the process is not ready, for the 503's body: shutdown, the thresholds crossed, and the
 * failing checks by name and status. A check's own error message is left out: it may name an
 * internal host or a credential, and this body is served to anyone who can reach the probe
 * (`detail` has it all).
 */
function reasonsOf(host: ProbeHost): string[] {
  const snapshot = host.snapshot();
  const reasons = host.isShuttingDown || host.closed ? ['shutting down'] : [];
  for (const reason of snapshot.reasons) if (!reason.startsWith('check "')) reasons.push(reason);
  for (const [name, state] of Object.entries(snapshot.checks)) {
    if (state.status !== 'healthy') reasons.push(`check "${name}" ${state.status}`);
  }
  return reasons;
}

/** Writes a JSON probe answer; the body is left out for `HEAD`. */
function sendJson(req: IncomingMessage, res: ServerResponse, statusCode: number, value: unknown): void {
  if (res.headersSent || res.writableEnded) return;
  const body = JSON.stringify(value);
  res.writeHead(statusCode, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
