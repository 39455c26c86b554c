// Command-line options of `npm run soak`, parsed from process.argv.
//
//   npm run soak                           10 minutes (the run docs/benchmarks.md reports)
//   npm run soak -- --minutes 2            a short run while working on the soak itself
//   npm run soak -- --out soak.md          also write the markdown to a file
//   npm run soak -- --rate 250 --concurrency 16   the load (requests/s, most in flight at once)

/** Options of one soak run. */
export type SoakOptions = {
  /** Length of the measured run in whole minutes (after sign-up of the user pool). Minimum: 2. */
  readonly minutes: number;
  /** Requests per second the load issues, paced (not as fast as possible). */
  readonly rate: number;
  /** Most requests in flight at once (also the keep-alive agent's `maxSockets`). */
  readonly concurrency: number;
  /** File to write the markdown to, in addition to stdout. */
  readonly out: string | undefined;
};

export const DEFAULT_SOAK_OPTIONS: SoakOptions = { minutes: 10, rate: 250, concurrency: 16, out: undefined };

export const USAGE =
  'usage: npm run soak -- [--minutes <n ≥ 2>] [--rate <requests/s>] [--concurrency <n>] [--out <file>]';

/**
 * Parses soak flags. Accepts `--flag value` and `--flag=value`.
 *
 * @param argv - arguments after the script name, e.g. `process.argv.slice(2)`.
 * @returns the options; `help: true` when `--help` was given.
 * @throws Error naming the flag and printing the usage when a flag is unknown or its value is bad.
 */
export function parseSoakArgs(argv: readonly string[]): SoakOptions & { readonly help: boolean } {
  let { minutes, rate, concurrency, out } = DEFAULT_SOAK_OPTIONS;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const takeValue = (): string => {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined || value === '' || (eq === -1 && value.startsWith('--'))) {
        throw new Error(`soak: \`${flag}\` needs a value\n${USAGE}`);
      }
      return value;
    };
    const takeInt = (min: number): number => {
      const text = takeValue();
      const n = Number(text);
      if (!Number.isInteger(n) || n < min) {
        throw new Error(`soak: expected \`${flag}\` to be an integer >= ${min}, got \`${text}\`\n${USAGE}`);
      }
      return n;
    };
    switch (flag) {
      case '--minutes':
        minutes = takeInt(2);
        break;
      case '--rate':
        rate = takeInt(1);
        break;
      case '--concurrency':
        concurrency = takeInt(1);
        break;
      case '--out':
        out = takeValue();
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      default:
        throw new Error(`soak: unknown argument \`${arg}\`\n${USAGE}`);
    }
  }
  return { minutes, rate, concurrency, out, help };
}
