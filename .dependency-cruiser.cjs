/**
 * The house rules for imports, checked in CI by `npm run deps` (dependency-cruiser). docs/architecture.md
 * draws the same arrows; change both together.
 *
 * Type-only imports count (`tsPreCompilationDeps`): a type cycle still ties two files together for a reader.
 */
/** The layering rules bind shipped code; a test may reach into any file it tests (and FakeClock). */
const TESTS = '\\.test\\.ts$';
/** Modules other than core; a module is a folder directly under src/. */
const MODULES =
  '(sharding|balancing|resilience|threads|cluster|health|queue|jobs|pool|presence|mailbox|cache|prometheus|capacity|express|fastify|otel|ws|testing)';

/**
 * Every arrow from one module to another that exists, as `from: [to…]`. Anything else is an error
 * (`allowed` below): a new arrow is a design decision, made here and in docs/architecture.md.
 * Every module may also import core/.
 */
const MODULE_ARROWS = {
  balancing: ['resilience', 'sharding'], // failure accrual's breakers; the hash pickers place keys with the sharder's rings
  cache: ['resilience'], // loader retries use the retry policy
  cluster: ['cache', 'health', 'resilience', 'sharding'], // machine-wide lock and limits; worker health; sticky hashing
  queue: ['resilience'], // task retries use the retry policy and backoff
  jobs: ['resilience', 'sharding'], // retry delays, the queue-wide rate limit; keys → partitions
  testing: ['jobs'], // the JobStore contract runs stores through JobQueue and JobWorker
  express: ['health', 'resilience'], // the middleware serves the monitor's probes and shedding, and rate limits
  fastify: ['health', 'resilience'], // the plugin serves the monitor's probes and shedding, and rate limits
  ws: ['health'], // the gate takes the monitor's shedding decision
  otel: ['prometheus'], // the instruments observe the Prometheus module's mapping of each primitive's stats
  prometheus: ['balancing', 'cache', 'cluster', 'health', 'jobs', 'pool', 'queue', 'resilience', 'threads'],
};

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  allowedSeverity: 'error',
  allowed: [
    {
      comment: 'Packages and node: builtins.',
      from: {},
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-peer', 'npm-optional', 'core'] },
    },
    {
      comment: 'Inside one module, or inside bench/.',
      from: { path: '^(src/[^/]+|bench)/' },
      to: { path: '^$1/' },
    },
    { comment: 'Every module builds on core.', from: { path: '^src/' }, to: { path: '^src/core/' } },
    {
      comment: 'The root index re-exports every module.',
      from: { path: '^src/index\\.ts$' },
      to: { path: '^src/' },
    },
    {
      comment: 'Tests (and their helpers in test/) may reach any source file they test.',
      from: { path: [TESTS, '^test/'] },
      to: { path: '^(src|test)/' },
    },
    {
      comment:
        'Benchmarks measure the package through its public entry points, and share the vitest-free ' +
        'helpers (redis-server, load client) with the tests.',
      from: { path: '^bench/' },
      to: { path: ['^src/index\\.ts$', '^src/[^/]+/index\\.ts$', '^test/helpers/'] },
    },
    ...Object.entries(MODULE_ARROWS).map(([from, to]) => ({
      comment: `${from} builds on ${to.join(', ')}.`,
      from: { path: `^src/${from}/` },
      to: { path: `^src/(${to.join('|')})/index\\.ts$` },
    })),
  ],
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycle anywhere in src/ or bench/, type-only imports included.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-imports-no-module',
      severity: 'error',
      comment: 'core/ holds the shared interfaces and errors; it depends on no module.',
      from: { path: '^src/core/', pathNot: TESTS },
      to: { path: `^src/${MODULES}/` },
    },
    {
      name: 'module-through-public-index',
      severity: 'error',
      comment:
        "A module reaches another module only through that module's public index.ts (core, the shared " +
        'layer, is reached file by file).',
      from: { path: `^src/${MODULES}/`, pathNot: TESTS },
      to: { path: `^src/${MODULES}/`, pathNot: [`^src/$1/`, `^src/${MODULES}/index\\.ts$`] },
    },
    {
      name: 'index-exports-no-internal',
      severity: 'error',
      comment: 'core/internal/ is shared plumbing, never public: no public index re-exports it.',
      from: { path: ['^src/index\\.ts$', '^src/[^/]+/index\\.ts$'] },
      to: { path: '^src/core/internal/' },
    },
    {
      name: 'cache-bus-through-core',
      severity: 'error',
      comment: 'The cache takes its bus through the core Bus interface, not from cluster.',
      from: { path: '^src/cache/' },
      to: { path: '^src/cluster/' },
    },
    {
      name: 'queue-pool-load-through-core',
      severity: 'error',
      comment: 'Queue and pool read the core LoadSignal, not the health monitor.',
      from: { path: '^src/(queue|pool)/' },
      to: { path: '^src/health/' },
    },
    {
      name: 'sharding-knows-no-load',
      severity: 'error',
      comment: 'Sharding maps keys to nodes; load and health are the balancer’s business.',
      from: { path: '^src/sharding/' },
      to: { path: '^src/(health|balancing|queue|pool|core/LoadSignal|core/ManualLoadSignal)' },
    },
    {
      name: 'threads-know-no-cluster',
      severity: 'error',
      comment: 'Worker threads run in any process; they know nothing of cluster supervision.',
      from: { path: '^src/threads/' },
      to: { path: '^src/cluster/' },
    },
    {
      name: 'src-imports-no-tests',
      severity: 'error',
      comment: 'Shipped code never imports a test, a test helper or bench/.',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { path: ['\\.test\\.ts$', '^test/', '^bench/'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^dist/', '^docs/api/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
