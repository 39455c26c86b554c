/**
 * Freezes and thaws a process with SIGSTOP / SIGCONT, for the chaos tests of a hung peer (#21). A
 * stopped redis-server is hung, not dead: its port stays open, the kernel still completes new
 * connections into its backlog and acknowledges the bytes sent to it, and nothing ever answers. No
 * FIN, no RST, no ECONNREFUSED: only a timeout notices.
 *
 * Safety: every process frozen here is thawed when the test process exits (`process.on('exit')`,
 * which covers a normal end, `process.exit()` and an uncaught exception, but not death by a
 * signal), so a failing test never leaves a stopped redis-server behind. Call `thawAll()` in an
 * `afterEach` to thaw sooner. Thaw a server before stopping it: a stopped process keeps SIGTERM
 * pending, so `RedisServerHandle.stop()` would wait out its grace period and SIGKILL it.
 *
 * On Linux both calls wait until `/proc/<pid>/stat` shows the new state, since a signal is delivered
 * asynchronously; elsewhere they resolve once the signal is sent.
 */
import { readFileSync } from 'node:fs';
import { until } from './until.js';

const frozen = new Set<number>();
let exitHookInstalled = false;

/** How long to wait for the kernel to report the state change. */
const STATE_TIMEOUT_MS = 5_000;

/**
 * Stops `pid` with SIGSTOP and resolves once it is stopped.
 *
 * @throws (rejects) for a pid that is not a positive integer or is this process (which would never
 *   wake), or when the signal cannot be sent (ESRCH: no such process; EPERM).
 */
export async function freezeProcess(pid: number): Promise<void> {
  checkPid(pid);
  if (pid === process.pid) throw new RangeError('refusing to freeze the test process itself');
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', thawAll);
  }
  frozen.add(pid);
  try {
    process.kill(pid, 'SIGSTOP');
  } catch (error) {
    frozen.delete(pid);
    throw error;
  }
  await untilState(pid, (state) => state === 'T' || state === 't');
}

/**
 * Resumes `pid` with SIGCONT and resolves once it runs again. Idempotent, and a process that no longer
 * exists counts as thawed.
 *
 * @throws (rejects) for a pid that is not a positive integer, or on EPERM.
 */
export async function thawProcess(pid: number): Promise<void> {
  checkPid(pid);
  frozen.delete(pid);
  try {
    process.kill(pid, 'SIGCONT');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return;
    throw error;
  }
  await untilState(pid, (state) => state !== 'T' && state !== 't');
}

/** Sends SIGCONT to every process frozen here and not thawed yet (synchronous, for exit hooks). */
export function thawAll(): void {
  for (const pid of frozen) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone already
    }
  }
  frozen.clear();
}

/** The pids frozen here and not thawed yet. */
export function frozenProcesses(): readonly number[] {
  return [...frozen];
}

function checkPid(pid: number): void {
  // 0 and negative pids would signal whole process groups.
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new RangeError(`Expected \`pid\` to be an integer >= 1, got \`${pid}\``);
  }
}

/**
 * The one-letter state from `/proc/<pid>/stat` (`R`, `S`, `T` stopped, ...), `undefined` when the
 * process is gone or there is no procfs.
 */
export function processState(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) S ...": comm may itself hold spaces and parentheses, so split after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).charAt(0) || undefined;
}

async function untilState(pid: number, wanted: (state: string) => boolean): Promise<void> {
  if (process.platform !== 'linux') return;
  await until(
    () => {
      const state = processState(pid);
      // Gone (or a zombie) is not something to wait for.
      return state === undefined || state === 'Z' || wanted(state);
    },
    STATE_TIMEOUT_MS,
    1,
  );
}
