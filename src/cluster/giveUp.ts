// One process gives up once, whichever supervisor or path got there first.
let givingUp = false;
const owners = new WeakSet<object>();

/**
 * How a primary that owns its process gives up when it cannot go on (a crash loop, a port it
 * cannot bind, its launcher gone): one line on stderr naming the cause (details, such as a
 * worker's stack, on the lines after it), a graceful stop of what still runs, and exit code 1,
 * which is what systemd's `Restart=on-failure` and Kubernetes restart on. A requested stop exits
 * 0; nothing else ends the primary.
 */
export function giveUp(cause: string, stop: () => Promise<void>, details?: string): void {
  if (givingUp) return;
  givingUp = true;
  process.stderr.write(`loadstone: ${cause}; stopping, exit code 1\n${details ? `${details}\n` : ''}`);
  process.exitCode = 1;
  stop().finally(() => process.exit(1));
}

/** `supervise()` hands the process to its supervisor: nobody else is there to end it. */
export function ownTheProcess(supervisor: object): void {
  owners.add(supervisor);
}

/** Whether `supervisor` was handed the process by `supervise()`. */
export function ownsTheProcess(supervisor: object): boolean {
  return owners.has(supervisor);
}
