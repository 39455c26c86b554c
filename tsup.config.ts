import { defineConfig } from 'tsup';

// One entry per public module index (each is a subpath in package.json `exports`);
// worker and child scripts are separate entries.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'sharding/index': 'src/sharding/index.ts',
    'balancing/index': 'src/balancing/index.ts',
    'resilience/index': 'src/resilience/index.ts',
    'testing/index': 'src/testing/index.ts',
    'threads/index': 'src/threads/index.ts',
    'cluster/index': 'src/cluster/index.ts',
    'health/index': 'src/health/index.ts',
    'queue/index': 'src/queue/index.ts',
    'jobs/index': 'src/jobs/index.ts',
    'pool/index': 'src/pool/index.ts',
    'presence/index': 'src/presence/index.ts',
    'mailbox/index': 'src/mailbox/index.ts',
    'cache/index': 'src/cache/index.ts',
    'prometheus/index': 'src/prometheus/index.ts',
    'capacity/index': 'src/capacity/index.ts',
    'express/index': 'src/express/index.ts',
    'fastify/index': 'src/fastify/index.ts',
    'otel/index': 'src/otel/index.ts',
    'ws/index': 'src/ws/index.ts',
    // The worker-thread side of WorkerThreadPool: loaded inside each thread, never on the main thread.
    'threads/worker': 'src/threads/worker.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  target: 'node20',
  platform: 'node',
  // Class and function names survive bundling (esbuild would rename `LoadstoneError` to
  // `_LoadstoneError` and, in the CommonJS build, classes to `_class`): users see them in
  // `err.name`, `String(err)` and stack traces.
  keepNames: true,
});
