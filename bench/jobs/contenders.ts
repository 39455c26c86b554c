// The three job queues the jobs bench compares, behind one small interface, each with its
// defaults (BullMQ and bee-queue keep completed jobs; loadstone keeps 1,000 records per partition).
import BeeQueue from 'bee-queue';
import { Queue as BullQueue, Worker as BullWorker } from 'bullmq';
import { Cluster, Redis } from 'ioredis';
import { JobQueue, JobWorker, RedisJobStore } from 'loadstone/jobs';

export type Handler = (data: { t: number; i: number }) => void;

/** One queue of one library, on one Redis. */
export type BenchQueue = {
  add(data: { t: number; i: number }): Promise<void>;
  addBulk(count: number): Promise<void>;
  /** Starts consuming at `concurrency`; resolves once the worker is ready. */
  work(concurrency: number, handler: Handler): Promise<void>;
  close(): Promise<void>;
};

export type JobsContender = {
  readonly name: string;
  readonly title: string;
  make(
    url: string,
    queue: string,
    options?: { partitions?: number; cluster?: readonly { host: string; port: number }[] },
  ): BenchQueue;
};

const bulkData = (count: number) => Array.from({ length: count }, (_, i) => ({ t: 0, i }));

export const loadstoneJobs: JobsContender = {
  name: 'loadstone',
  title: '**loadstone**: `JobQueue` + `RedisJobStore`, `addBulk`, `JobWorker({ concurrency })`',
  make(url, name, options) {
    const client = options?.cluster ? new Cluster([...options.cluster]) : new Redis(url);
    const store = new RedisJobStore({ client });
    const queue = new JobQueue<{ t: number; i: number }>({
      name,
      store,
      partitions: options?.partitions ?? 1,
    });
    let worker: JobWorker<{ t: number; i: number }> | undefined;
    return {
      add: async (data) => void (await queue.add(data)),
      addBulk: async (count) => {
        const data = bulkData(count);
        for (let i = 0; i < count; i += 1_000)
          await queue.addBulk(data.slice(i, i + 1_000).map((d) => ({ data: d })));
      },
      work: async (concurrency, handler) => {
        worker = new JobWorker({ queue, concurrency, handler: async (job) => handler(job.data) });
      },
      close: async () => {
        await worker?.close({ timeoutMs: 1_000 });
        await store.close();
        client.disconnect();
      },
    };
  },
};

export const bullmq: JobsContender = {
  name: 'bullmq',
  title: '**BullMQ**: `Queue.addBulk`, `new Worker(name, fn, { concurrency })`',
  make(url, name) {
    const connection = new Redis(url, { maxRetriesPerRequest: null });
    const queue = new BullQueue(name, { connection });
    let worker: BullWorker | undefined;
    let workerConnection: Redis | undefined;
    return {
      add: async (data) => void (await queue.add('job', data)),
      addBulk: async (count) => {
        const data = bulkData(count);
        for (let i = 0; i < count; i += 1_000)
          await queue.addBulk(data.slice(i, i + 1_000).map((d) => ({ name: 'job', data: d })));
      },
      work: async (concurrency, handler) => {
        workerConnection = new Redis(url, { maxRetriesPerRequest: null });
        worker = new BullWorker(name, async (job) => handler(job.data), {
          connection: workerConnection,
          concurrency,
        });
        await worker.waitUntilReady();
      },
      close: async () => {
        // A Queue whose connection closes while it is still initialising emits an 'error' on its
        // RedisConnection after close() removed the listener forwarding it, which crashes the
        // process (seen in CI when a queue was closed right after it was made): let it finish.
        await queue.waitUntilReady().catch(() => undefined);
        await worker?.close(true);
        await queue.close();
        // BullMQ leaves connections it was given open.
        workerConnection?.disconnect();
        connection.disconnect();
      },
    };
  },
};

export const beeQueue: JobsContender = {
  name: 'bee-queue',
  title: '**bee-queue**: `saveAll`, `process(concurrency, fn)`',
  make(url, name) {
    const { hostname, port } = new URL(url);
    const redis = { host: hostname, port: Number(port) };
    const producer = new BeeQueue(name, { redis, isWorker: false, getEvents: false, sendEvents: false });
    let consumer: BeeQueue | undefined;
    return {
      add: async (data) => void (await producer.createJob(data).save()),
      addBulk: async (count) => {
        const data = bulkData(count);
        for (let i = 0; i < count; i += 1_000)
          await producer.saveAll(data.slice(i, i + 1_000).map((d) => producer.createJob(d)));
      },
      work: async (concurrency, handler) => {
        consumer = new BeeQueue(name, { redis, getEvents: false, sendEvents: false });
        consumer.process(concurrency, async (job: { data: { t: number; i: number } }) => handler(job.data));
        await consumer.ready();
      },
      close: async () => {
        await consumer?.close(1_000);
        await producer.close(1_000);
      },
    };
  },
};

export const JOB_CONTENDERS: readonly JobsContender[] = [loadstoneJobs, bullmq, beeQueue];
