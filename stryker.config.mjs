// Mutation testing, one module at a time: `npm run mutate -- <module>` (scripts/mutate.mjs sets
// LOADSTONE_MUTATE_MODULE). The whole of src/ at once takes hours on 2 cores.
const module = process.env.LOADSTONE_MUTATE_MODULE ?? 'sharding';

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
  tempDirName: '.stryker-tmp',
  concurrency: 2,
  timeoutMS: 10_000,
  cleanTempDir: 'always',
};
