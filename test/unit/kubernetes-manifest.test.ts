// docs/kubernetes.md's manifest and server options against each other and the library's
// defaults: the shutdown budget fits the grace period, the probes hit handlers that are never
// shed, the startup probe waits as long as a worker may take to become ready, and the worker
// count comes from the CPU limit. A change to either side that breaks one of these fails here.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveClusterOptions } from '../../src/cluster/resolveClusterOptions.js';
import { scripted } from '../helpers/scriptedMonitor.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const doc = readFileSync(join(root, 'docs/kubernetes.md'), 'utf8');
const block = (lang: string) => new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``).exec(doc)?.[1] ?? '';

type Probe = { httpGet: { path: string; port: number }; periodSeconds: number; failureThreshold: number };
type Container = {
  command: string[];
  ports: { containerPort: number }[];
  env: { name: string; valueFrom?: { resourceFieldRef?: { resource: string; divisor: string } } }[];
  resources: { limits: { cpu: string; memory: string } };
  startupProbe: Probe;
  readinessProbe: Probe;
  livenessProbe: Probe & { timeoutSeconds: number };
};
const manifest = parse(block('yaml')) as {
  spec: { template: { spec: { terminationGracePeriodSeconds: number; containers: Container[] } } };
};
const pod = manifest.spec.template.spec;
const container = pod.containers[0] as Container;

/** A numeric option of the server snippet, `name: 5_000,` → 5000. */
function option(name: string): number {
  const match = new RegExp(`\\b${name}: ([\\d_]+)`).exec(block('ts'));
  if (match === null) throw new Error(`docs/kubernetes.md's server sets no ${name}`);
  return Number((match[1] as string).replaceAll('_', ''));
}

describe('docs/kubernetes.md', () => {
  const options = resolveClusterOptions({
    port: option('port'),
    preStopDelayMs: option('preStopDelayMs'),
    shutdownTimeoutMs: option('shutdownTimeoutMs'),
  });

  it('shuts down within the grace period, with a margin to exit', () => {
    const budgetMs = options.preStopDelayMs + options.shutdownTimeoutMs;
    expect(budgetMs + 2_000).toBeLessThanOrEqual(pod.terminationGracePeriodSeconds * 1000);
    // The delay outlasts one readiness period, so the endpoint is gone before servers close.
    expect(options.preStopDelayMs).toBeGreaterThanOrEqual(container.readinessProbe.periodSeconds * 1000);
  });

  it('starts node itself as PID 1 and takes the worker count from the CPU limit', () => {
    expect(container.command[0]).toBe('node');
    const workers = container.env.find((e) => e.name === 'LOADSTONE_WORKERS');
    expect(workers?.valueFrom?.resourceFieldRef).toEqual({ resource: 'limits.cpu', divisor: '1' });
    // Each worker's memory cap fits the container's limit.
    const limitMb = Number(container.resources.limits.memory.replace('Gi', '')) * 1024;
    expect(Number(container.resources.limits.cpu) * option('maxMemoryMb')).toBeLessThan(limitMb);
  });

  it('probes the port the server listens on, and a startup probe waits out readyTimeoutMs', () => {
    for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe]) {
      expect(probe.httpGet.port).toBe(options.port);
    }
    expect(container.ports[0]?.containerPort).toBe(options.port);
    const startupMs = container.startupProbe.periodSeconds * container.startupProbe.failureThreshold * 1000;
    expect(startupMs).toBeGreaterThanOrEqual(options.readyTimeoutMs);
    expect(container.livenessProbe.failureThreshold).toBeGreaterThanOrEqual(3);
    expect(container.livenessProbe.timeoutSeconds).toBeGreaterThan(1);
  });

  it('probes paths the server answers, which load shedding never sheds', async () => {
    expect(block('ts')).toContain(`req.url === '${container.livenessProbe.httpGet.path}'`);
    expect(block('ts')).toContain(`req.url === '${container.readinessProbe.httpGet.path}'`);
    const { monitor, sampler } = scripted();
    const shed = monitor.loadShedding();
    sampler.delay(400);
    await monitor.refresh();
    expect(monitor.status).toBe('critical');
    for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe]) {
      let passed = false;
      shed({ url: probe.httpGet.path } as IncomingMessage, {} as ServerResponse, () => {
        passed = true;
      });
      expect({ path: probe.httpGet.path, passed }).toEqual({ path: probe.httpGet.path, passed: true });
    }
  });
});
