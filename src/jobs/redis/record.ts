// A job's record as the Lua scripts keep it (short field names: one per job in Redis memory).
import type { JobBackoff, LeasedJob } from '../JobStore.js';

/** @internal */
export type JobRecordJson = {
  sc: number;
  pr: string;
  du?: number;
  ad: number;
  at: number;
  bo: string;
  k?: string;
  st: 'w' | 'd' | 'a' | 'c' | 'f' | 'x';
  tk?: string;
  fa?: number;
  in?: number;
  le?: string;
  ld?: number;
  fi?: number;
  rs?: string;
};

/** The job a record describes, with its lease (the token is `''` when it has none). @internal */
export function fromRecord(id: string, data: string, record: JobRecordJson, leaseUntil: number): LeasedJob {
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
    dueAt: record.du ?? record.ad,
    addedAt: record.ad,
    attempts: record.at,
    backoff,
    failures: record.fa ?? 0,
    interruptions: record.in ?? 0,
    lastError: record.le,
    lastDelayMs: record.ld ?? 0,
    token: record.tk ?? '',
    leaseUntil,
  };
}
