// Entry point of `npm run bench` (`node --expose-gc --import tsx bench/run.ts [flags]`).
// Imports every `bench/cases/*.bench.ts` (in name order), prints the machine info, then runs each
// suite and prints its sections as markdown on stdout; progress goes to stderr when it is a
// terminal (or BENCH_PROGRESS=1), and only the closing summary line otherwise. See options.ts
// for the flags and harness.ts for the method.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FULL_TIMING, QUICK_TIMING } from './contender.js';
import { machineInfo } from './machine.js';
import { type BenchOptions, parseBenchArgs, USAGE } from './options.js';
import type { Section } from './report.js';
import { type BenchSuite, createSuiteContext } from './suite.js';

const CASES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'cases');

async function loadSuites(): Promise<BenchSuite[]> {
  const files = readdirSync(CASES_DIR)
    .filter((f) => f.endsWith('.bench.ts'))
    .sort();
  const suites: BenchSuite[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(CASES_DIR, file)).href)) as { default?: BenchSuite };
    const suite = mod.default;
    if (suite === undefined || typeof suite.run !== 'function') {
      throw new Error(`bench/cases/${file}: the default export must be a suite made with defineSuite()`);
    }
    suites.push(suite);
  }
  return suites;
}

async function main(options: BenchOptions): Promise<number> {
  const started = performance.now();
  const suites = await loadSuites();
  const out: string[] = [];
  const print = (markdown: string): void => {
    process.stdout.write(`${markdown}\n\n`);
    out.push(markdown);
  };

  print('# loadstone benchmarks');
  print(
    machineInfo(
      suites.flatMap((s) => s.anchors),
      options.quick,
    ),
  );

  const timing = options.quick ? QUICK_TIMING : FULL_TIMING;
  let sections = 0;
  const watched = process.stderr.isTTY === true || process.env.BENCH_PROGRESS === '1';
  for (const [index, suite] of suites.entries()) {
    if (watched) process.stderr.write(`bench: [${index + 1}/${suites.length}] ${suite.title}\n`);
    let headed = false;
    const emit = (section: Section): void => {
      if (!headed) {
        print(`## ${suite.title}`);
        headed = true;
      }
      print(`### ${section.title}\n\n<sub>\`${section.path}\`</sub>\n\n${section.markdown}`);
      sections++;
    };
    await suite.run(createSuiteContext(suite, options, timing, emit));
  }

  const seconds = (performance.now() - started) / 1000;
  process.stderr.write(`bench: ${sections} section(s) in ${seconds.toFixed(1)} s\n`);
  if (sections === 0) {
    process.stderr.write(`bench: nothing matched --filter ${JSON.stringify(options.filter)}\n`);
    return 1;
  }
  if (options.out !== undefined) {
    const file = resolve(options.out);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${out.join('\n\n')}\n`);
    process.stderr.write(`bench: wrote ${file}\n`);
  }
  return 0;
}

let parsed: ReturnType<typeof parseBenchArgs>;
try {
  parsed = parseBenchArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(2);
}
if (parsed.help) {
  process.stdout.write(`${USAGE}\n`);
} else {
  process.exitCode = await main(parsed);
}
