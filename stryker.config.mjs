// Mutation testing, one module at a time: `npm run mutate -- <module>` (scripts/mutate.mjs sets
// LOADSTONE_MUTATE_MODULE). The whole of src/ at once takes hours on 2 cores.
const module = process.env.LOADSTONE_MUTATE_MODULE ?? 'sharding';

/**
 * Each module's score at its last whole-module run, rounded down (docs/testing.md, "Scores"): a
 * later run under it fails (`thresholds.break`), so a module whose tests weaken is caught. Raise it
 * with the score. Modules measured only in parts have none yet.
 */
const BREAK_AT = {
  balancing: 95,
  capacity: 91,
  core: 82,
  express: 94,
  fastify: 97,
  mailbox: 96,
  otel: 80,
  presence: 97,
  queue: 97,
  ws: 82,
};

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts' },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  mutate: [`src/${module}/**/*.ts`, '!src/**/*.test.ts', `!src/${module}/index.ts`],
  reporters: ['html', 'clear-text', 'progress', 'json'],
  htmlReporter: { fileName: `reports/mutation/${module}/index.html` },
  jsonReporter: { fileName: `reports/mutation/${module}/mutation.json` },
  // One sandbox folder per module, so two modules can be mutated at once.
  tempDirName: `.stryker-tmp/${module}`,
  // The built thread worker and its chunks stay in the sandbox (unmutated): tests that run thread
  // tasks (threads, otel, core's channels) load `dist/threads/worker.cjs`.
  ignorePatterns: [
    '/.stryker-tmp',
    '/dist/*',
    '!/dist/threads',
    '!/dist/chunk-*',
    '/docs/api',
    '/.bench-results',
    '/.scratch',
    '/coverage',
  ],
  concurrency: 2,
  timeoutMS: 10_000,
  // The dry run measures per-test coverage, every statement counted: sharding's suite takes over
  // the default 5 minutes of it on a 2-core machine shared with other modules' runs.
  dryRunTimeoutMinutes: 20,
  cleanTempDir: 'always',
  thresholds: { high: 90, low: 80, break: BREAK_AT[module] ?? null },
};
