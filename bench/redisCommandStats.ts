// Redis's own account of the work a contender asked of it: `INFO commandstats` after
// `CONFIG RESETSTAT`. A script's `usec` includes the commands it runs, which are also listed
// on their own; `scriptUsec` sums only EVAL and EVALSHA, so nothing is counted twice.
import type { Redis } from 'ioredis';

/** What `INFO commandstats` says about the commands run since the last `resetCommandStats`. */
export type CommandStats = {
  /** Microseconds Redis spent in `EVAL`/`EVALSHA` (the commands the scripts ran included). */
  readonly scriptUsec: number;
  /** Calls per command, the `INFO`/`CONFIG` calls themselves excluded: `get=20000 set=20000 …`. */
  readonly calls: string;
};

/** Zeroes the counters (`CONFIG RESETSTAT`). */
export async function resetCommandStats(redis: Redis): Promise<void> {
  await redis.config('RESETSTAT');
}

/** Reads the counters. */
export async function readCommandStats(redis: Redis): Promise<CommandStats> {
  const info = await redis.info('commandstats');
  let scriptUsec = 0;
  const calls: string[] = [];
  for (const match of info.matchAll(/cmdstat_(\w+(?:\|\w+)?):calls=(\d+),usec=(\d+)/g)) {
    const [, command = '', count = '0', usec = '0'] = match;
    if (command === 'info' || command.startsWith('config')) continue;
    calls.push(`${command}=${count}`);
    if (command === 'eval' || command === 'evalsha') scriptUsec += Number(usec);
  }
  return { scriptUsec, calls: calls.sort().join(' ') };
}
