// Process isolation: each contender of a case lives in its own child process (child.ts).
//
// Why: a library call site that dispatches on a strategy (`ConsistentHashSharder.getNode` calling
// `engine.locate`) sees every strategy the contenders of a case exercise when they share a process,
// goes megamorphic, and measures every strategy slower than a server using only one of them runs it.
// A child builds and runs only its contender, so its JIT state, heap and GC are its own.
//
// The child cannot receive functions, so an isolated case names a module and an exported factory
// `(params) => Contender[]`; the child imports it, calls it with the same JSON params and picks its
// contender by name. Protocol (IPC, one reply per request, the parent drives):
//   start (argv)  → child: setup, GC, warm-up              → `ready`    { batchSize }
//   `run`         → child: GC, one timed run of roundMs     → `ran`      { opsPerSec, ops }
//   `finish`      → child: teardown                         → `finished` { histogram } and exits
// A failing child replies `error` { error } and exits. The parent starts the children one at a
// time (so warm-ups never overlap), then asks them for runs in the rotated order of each round;
// children not running wait idle on IPC.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import type { TimingProfile } from './contender.js';
import type { ContenderState } from './measure.js';

/** Where a child process finds a case's contenders. */
export type IsolateOptions = {
  /** URL of the module that exports the factory: the case file's `import.meta.url`. */
  readonly module: string;
  /**
   * Name of the module's export `(params) => Contender[]`. It must return the contenders the case
   * passes in `contenders` (same names), without building anything outside their `setup`.
   */
  readonly factory: string;
  /** The factory's argument; it goes to the child as JSON, so keep it to plain data. */
  readonly params?: unknown;
};

/** What a child is started with (its only command-line argument, as JSON). */
export type ChildRequest = IsolateOptions & {
  readonly contender: string;
  readonly timing: TimingProfile;
};

/** Messages from the parent to a child. */
export type ParentMessage = { readonly type: 'run' } | { readonly type: 'finish' };

/** Messages from a child to the parent. */
export type ChildMessage =
  | { readonly type: 'ready'; readonly batchSize: number }
  | { readonly type: 'ran'; readonly opsPerSec: number; readonly ops: number }
  /** `histogram`: all timed runs, `encodeIntoCompressedBase64`. */
  | { readonly type: 'finished'; readonly histogram: string }
  | { readonly type: 'error'; readonly error: string };

const CHILD_SCRIPT = fileURLToPath(new URL('./child.ts', import.meta.url));
/** Allowance on top of a step's own duration: node + tsx start-up, imports, setup (key generation), GC. */
const SLACK_MS = 120_000;

/**
 * A contender measured in its own child process. The results go into the {@link ContenderState}
 * it was started with, as in-process runs do.
 */
export class ChildContender {
  private readonly child: ChildProcess;
  private readonly inbox: ChildMessage[] = [];
  private waiter: ((message: ChildMessage | Error) => void) | undefined;
  private failure: Error | undefined;
  private readonly closed: Promise<void>;

  private constructor(
    private readonly s: ContenderState,
    private readonly timing: TimingProfile,
    isolate: IsolateOptions,
  ) {
    const request: ChildRequest = { ...isolate, contender: s.contender.name, timing };
    // The parent's node flags (`--expose-gc --import tsx` under `npm run bench`); the child's
    // stdout and stderr go to the parent's stderr, so stdout keeps only markdown.
    this.child = fork(CHILD_SCRIPT, [JSON.stringify(request)], {
      execArgv: process.execArgv,
      stdio: ['ignore', 2, 2, 'ipc'],
    });
    this.child.on('message', (message) => this.deliver(message as ChildMessage));
    this.child.once('error', (error) =>
      this.fail(new Error(`${this.what}: ${error.message}`, { cause: error })),
    );
    // `close` (not `exit`): it comes after the IPC channel has delivered the child's last message.
    this.closed = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        this.fail(new Error(`${this.what} exited (code ${code}, signal ${signal}) before replying`));
        resolve();
      });
    });
  }

  /**
   * Starts the child and waits until it has set up and warmed up its contender.
   *
   * @throws Error when the child fails or does not get ready in time.
   */
  static async start(
    s: ContenderState,
    isolate: IsolateOptions,
    timing: TimingProfile,
  ): Promise<ChildContender> {
    const c = new ChildContender(s, timing, isolate);
    try {
      s.batchSize = (await c.reply('ready', timing.warmupMs)).batchSize;
      return c;
    } catch (error) {
      c.kill();
      throw error;
    }
  }

  /** One timed run of `roundMs`; adds its ops/s to `rounds` and its operations to `totalOps`. */
  async run(): Promise<void> {
    this.send({ type: 'run' });
    const ran = await this.reply('ran', this.timing.roundMs);
    this.s.rounds.push(ran.opsPerSec);
    this.s.totalOps += ran.ops;
  }

  /** Tears the contender down, merges the child's histogram into the state's and waits for the child to exit. */
  async finish(): Promise<void> {
    this.send({ type: 'finish' });
    const finished = await this.reply('finished', 0);
    const h = decodeFromCompressedBase64(finished.histogram);
    this.s.histogram.add(h);
    h.destroy();
    await this.closed;
  }

  /** Ends the child if it is still running (after a failure elsewhere). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private get what(): string {
    return `bench child for ${JSON.stringify(this.s.contender.name)}`;
  }

  private send(message: ParentMessage): void {
    if (this.failure !== undefined) throw this.failure;
    this.child.send(message);
  }

  /** Waits for the next message, which must be of type `type`, for at most `durationMs` + slack. */
  private async reply<T extends ChildMessage['type']>(
    type: T,
    durationMs: number,
  ): Promise<Extract<ChildMessage, { type: T }>> {
    const message = await new Promise<ChildMessage>((resolve, reject) => {
      const timeoutMs = durationMs + SLACK_MS;
      const timer = setTimeout(() => {
        this.kill();
        reject(new Error(`${this.what}: no \`${type}\` within ${timeoutMs} ms (killed)`));
      }, timeoutMs);
      this.waiter = (m) => {
        clearTimeout(timer);
        this.waiter = undefined;
        if (m instanceof Error) reject(m);
        else resolve(m);
      };
      const next = this.inbox.shift() ?? this.failure;
      if (next !== undefined) this.waiter(next);
    });
    if (message.type === 'error') throw new Error(`${this.what} failed:\n${message.error}`);
    if (message.type !== type) throw new Error(`${this.what}: expected \`${type}\`, got \`${message.type}\``);
    return message as Extract<ChildMessage, { type: T }>;
  }

  private deliver(message: ChildMessage): void {
    if (this.waiter === undefined) this.inbox.push(message);
    else this.waiter(message);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.waiter?.(this.failure);
  }
}
