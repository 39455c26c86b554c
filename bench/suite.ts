// A bench suite is one `bench/cases/<name>.bench.ts` file: a default export made with `defineSuite`.
// Its `run(ctx)` decides which measurements to make (asking `ctx.selected`) and reports each one as
// a markdown section through the context, which prints it and keeps it for `--out`.
import { performance } from 'node:perf_hooks';
import type { TimingProfile } from './contender.js';
import { runThroughput, type ThroughputCase, type ThroughputRow } from './harness.js';
import type { BenchOptions } from './options.js';
import { ISOLATED_LEGEND, type Section, THROUGHPUT_LEGEND, throughputTable } from './report.js';

/** What a suite can use while it runs. */
export type SuiteContext = {
  /** `--quick`: use fewer samples and smaller workloads where a suite has its own loops. */
  readonly quick: boolean;
  /** Timing of throughput cases for this run. */
  readonly timing: TimingProfile;
  /** Whether `--filter` selects the measurement `<suite>/<name>` (or something under it). */
  selected(name: string): boolean;
  /**
   * Runs a throughput case and reports its table. With `--filter`, only contenders whose path
   * `<suite>/<case>/<contender>` matches are run, plus the anchor.
   *
   * @returns the rows, or `[]` when the filter selects no contender of the case.
   */
  throughput(c: ThroughputCase): Promise<ThroughputRow[]>;
  /** Reports a custom section (a table built with `markdownTable`) as `<suite>/<name>`. */
  report(name: string, title: string, markdown: string): void;
  /** Progress message to stderr (stdout carries only the markdown). */
  log(message: string): void;
};

/** One benchmark file. */
export type BenchSuite = {
  /** Short id: the first part of every `--filter` path in the suite. */
  readonly name: string;
  /** Heading printed above the suite's sections. */
  readonly title: string;
  /** npm packages the suite compares against; their versions are printed in the machine info. */
  readonly anchors: readonly string[];
  run(ctx: SuiteContext): Promise<void>;
};

/** Identity helper that types a suite's default export. */
export function defineSuite(suite: BenchSuite): BenchSuite {
  return suite;
}

/** Whether `path` is selected by the (case-insensitive) substring `filter`. */
export function pathMatches(path: string, filter: string | undefined): boolean {
  return filter === undefined || path.toLowerCase().includes(filter.toLowerCase());
}

/**
 * Builds the context a suite runs with.
 *
 * @param emit - receives each reported section (run.ts prints it and keeps it for `--out`).
 */
export function createSuiteContext(
  suite: BenchSuite,
  options: BenchOptions,
  timing: TimingProfile,
  emit: (section: Section) => void,
): SuiteContext {
  const started = performance.now();
  // Progress is for a person watching a terminal; a CI log (stderr not a TTY) stays quiet.
  const watched = process.stderr.isTTY === true || process.env.BENCH_PROGRESS === '1';
  const log = (message: string): void => {
    if (!watched) return;
    const seconds = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
    process.stderr.write(`[${suite.name} ${seconds}s] ${message}\n`);
  };
  const filter = options.filter;
  return {
    quick: options.quick,
    timing,
    selected: (name) => {
      const path = `${suite.name}/${name}`;
      // Selected when the filter matches this path, or names something under it (`sharding/lookups/jump`).
      return pathMatches(path, filter) || filter?.toLowerCase().startsWith(`${path.toLowerCase()}/`) === true;
    },
    throughput: async (c) => {
      const base = `${suite.name}/${c.name}`;
      const chosen = c.contenders.filter((x) => pathMatches(`${base}/${x.name}`, filter));
      if (chosen.length === 0) return [];
      const contenders = c.contenders.filter((x) => chosen.includes(x) || x.anchor === true);
      log(`${c.name}: ${contenders.length} contenders × ${timing.rounds} rounds`);
      const rows = await runThroughput({ ...c, contenders }, { timing, log, inProcess: options.inProcess });
      const legend = rows.some((r) => r.isolated)
        ? `${THROUGHPUT_LEGEND} ${ISOLATED_LEGEND}`
        : THROUGHPUT_LEGEND;
      const note = c.note === undefined ? '' : `\n\n${c.note}`;
      emit({
        path: base,
        title: c.title,
        markdown: `${throughputTable(rows, c.unit)}\n\n${legend}${note}`,
      });
      return rows;
    },
    report: (name, title, markdown) => {
      emit({ path: `${suite.name}/${name}`, title, markdown });
    },
    log,
  };
}
