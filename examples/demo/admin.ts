// What the demo reads from the supervisor's private admin listener: `GET /` (JSON: cluster stats
// and the workers' aggregated health) and `GET /metrics` (Prometheus text format).

/** The parts of the admin JSON the demo uses (ClusterStats + `health`: AggregatedHealth). */
export type AdminStats = {
  readonly reloads: number;
  readonly workers: readonly {
    readonly slot: string;
    readonly pid: number;
    readonly state: string;
    readonly eventLoopDelayP99Ms: number;
  }[];
  readonly health?: { readonly status: string; readonly reasons: readonly string[] };
};

export async function adminStats(adminUrl: string): Promise<AdminStats> {
  const res = await fetch(`${adminUrl}/`, { signal: AbortSignal.timeout(2_000) });
  if (!res.ok) throw new Error(`GET ${adminUrl}/ answered ${res.status}`);
  return (await res.json()) as AdminStats;
}

/**
 * Sums every sample of `name` whose labels include all of `labels` in a Prometheus text
 * exposition (`name{a="b",…} value`); `undefined` when there is none.
 */
export function sumSamples(text: string, name: string, labels: Record<string, string>): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^[^{\s]+(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const found = Object.fromEntries(
      [...(match[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) sum = (sum ?? 0) + Number(match[2]);
  }
  return sum;
}

/** Hits and misses of the `profiles` cache, summed over workers and tiers, from `/metrics`. */
export async function profileCache(adminUrl: string): Promise<{ hits: number; misses: number } | undefined> {
  const res = await fetch(`${adminUrl}/metrics`, { signal: AbortSignal.timeout(2_000) });
  if (!res.ok) return undefined;
  const text = await res.text();
  const hits = sumSamples(text, 'loadstone_cache_hits_total', { name: 'profiles' });
  const misses = sumSamples(text, 'loadstone_cache_misses_total', { name: 'profiles' });
  return hits === undefined || misses === undefined ? undefined : { hits, misses };
}
