// A consumer process for the jobs bench's recovery case: it takes the one job with a handler that
// never ends, says so over IPC, and waits to be SIGKILLed. Each library runs at its defaults.
import { once } from 'node:events';
import { JOB_CONTENDERS } from './contenders.js';

const [config] = (await once(process, 'message')) as [{ contender: string; url: string; queue: string }];
const contender = JOB_CONTENDERS.find((c) => c.name === config.contender);
if (contender === undefined) throw new Error(`unknown contender ${config.contender}`);
const queue = contender.make(config.url, config.queue);
await queue.work(1, () => {
  process.send?.({ type: 'took' });
  return new Promise<never>(() => undefined) as never;
});
