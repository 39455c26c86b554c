// A job's record as the Lua scripts keep it (short field names: one per job in Redis memory).
import type { JobBackoff, LeasedJob } from '../JobStore.js';

/** @internal */
export type JobRecordJson = {
  sc: number;
  pr: string;
  du: number;
  ad: number;
  at: number;
  bo: string;
  m: string;
  k?: string;
  st: 'w' | 'd' | 'a' | 'c' | 'f' | 'x';
  tk?: string;
  fa: number;
  in: number;
  le?: string;
  ld: number;
  fi?: number;
  rs?: string;
};

/** The job a record describes, without its lease. @internal */
export function fromRecord(id: string, data: string, record: JobRecordJson): Omit<LeasedJob, 'token' | 'leaseUntil'> {
  const [jitter, baseDelayMs, maxDelayMs] = record.bo.split(',');
  const backoff: JobBackoff = {
    jitter: jitter as JobBackoff['jitter'],
    baseDelayMs: Number(baseDelayMs),
    maxDelayMs: Number(maxDelayMs),
  };
  return {
    id,
    data,
    key: record.k,
    score: record.sc,
    priority: record.pr,
    dueAt: record.du,
    addedAt: record.ad,
    attempts: record.at,
    backoff,
    failures: record.fa,
    interruptions: record.in,
    lastError: record.le,
    lastDelayMs: record.ld,
  };
}
