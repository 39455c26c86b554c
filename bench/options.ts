// Command-line options of `npm run bench`, parsed from process.argv.
//
//   npm run bench                          full run (~minutes; leave it to an idle machine)
//   npm run bench -- --quick               short rounds, to smoke-test every case in CI
//   npm run bench -- --filter sharding     only paths containing the substring (see below)
//   npm run bench -- --out docs/benchmarks.md   also write the markdown results to a file
//   npm run bench -- --in-process          run isolated cases in one process too (to see what isolation changes)
//
// Every measurement has a path `<suite>/<case>` and each contender of a throughput case the path
// `<suite>/<case>/<contender>`; `--filter` keeps the paths that contain its substring
// (case-insensitive). Filtering down to one contender keeps the case's anchor, so ratios still print.

/** Options of one bench run, as parsed from the command line. */
export type BenchOptions = {
  /** Short warm-up and rounds: checks that the cases run, not how fast. */
  readonly quick: boolean;
  /** Case-insensitive substring a measurement's path must contain; `undefined` runs everything. */
  readonly filter: string | undefined;
  /** File to write the markdown results to, in addition to stdout. */
  readonly out: string | undefined;
  /** Run cases marked `isolate` in this process instead of one child process per contender. */
  readonly inProcess: boolean;
};

const USAGE =
  'usage: node --expose-gc --import tsx bench/run.ts [--quick] [--filter <substring>] [--out <file>] [--in-process]';

/**
 * Parses bench flags. Accepts `--flag value` and `--flag=value`.
 *
 * @param argv - arguments after the script name, e.g. `process.argv.slice(2)`.
 * @returns the options; `help: true` when `--help` was given.
 * @throws Error naming the flag and printing the usage when a flag is unknown or lacks its value.
 */
export function parseBenchArgs(argv: readonly string[]): BenchOptions & { readonly help: boolean } {
  let quick = false;
  let inProcess = false;
  let help = false;
  let filter: string | undefined;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const takeValue = (): string => {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined || value === '' || (eq === -1 && value.startsWith('--'))) {
        throw new Error(`bench: \`${flag}\` needs a value\n${USAGE}`);
      }
      return value;
    };
    switch (flag) {
      case '--quick':
        quick = true;
        break;
      case '--filter':
        filter = takeValue();
        break;
      case '--out':
        out = takeValue();
        break;
      case '--in-process':
        inProcess = true;
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      default:
        throw new Error(`bench: unknown argument \`${arg}\`\n${USAGE}`);
    }
  }
  return { quick, filter, out, inProcess, help };
}

export { USAGE };
