import type { Partition, ShardAlgorithm } from './algorithms/ShardAlgorithm.js';
import type { HashRange, RebalancePlan, ShardMove } from './RebalancePlan.js';
import type { ShardKey } from './ShardNode.js';

const SAMPLE_KEYS = 65_536;

type MutableMove = { from: string; to: string; count: number; ranges: { start: number; end: number }[] };

/** Compares the placements of two algorithm states (before and after a change) as a plan. */
export function planRebalance(
  before: ShardAlgorithm,
  after: ShardAlgorithm,
  beforeIds: readonly string[],
  afterIds: readonly string[],
): RebalancePlan {
  const destination = (key: ShardKey) => {
    if (beforeIds.length === 0 || afterIds.length === 0) return undefined;
    const from = before.locate(key);
    const to = after.locate(key);
    return from === to ? undefined : { from, to };
  };
  const base = { algorithm: before.name, before: [...beforeIds], after: [...afterIds], destination };
  if (beforeIds.length === 0 || afterIds.length === 0) {
    return { ...base, space: 'none', exact: true, movedFraction: beforeIds.length === 0 ? 0 : 1, moves: [] };
  }
  const partitions =
    before.partition && after.partition ? [before.partition(), after.partition()] : undefined;
  const moves = new Map<string, MutableMove>();
  let total: number;
  if (partitions) {
    total = (partitions[0] as Partition).size;
    diffPartitions(partitions[0] as Partition, partitions[1] as Partition, moves);
  } else {
    total = SAMPLE_KEYS;
    for (let i = 0; i < SAMPLE_KEYS; i++) {
      const move = destination(`plan-sample-${i}`);
      if (move) moveFor(moves, move.from, move.to).count++;
    }
  }
  const list: ShardMove[] = [...moves.values()]
    .map((move) => ({
      from: move.from,
      to: move.to,
      fraction: move.count / total,
      ranges: move.ranges as HashRange[],
    }))
    .sort((a, b) => b.fraction - a.fraction);
  return {
    ...base,
    space: partitions ? (partitions[0] as Partition).space : 'none',
    exact: partitions !== undefined,
    movedFraction: list.reduce((sum, move) => sum + move.fraction, 0),
    moves: list,
  };
}

/** Walks both partitions' segment ends together; every stretch whose owner differs is a move. */
function diffPartitions(a: Partition, b: Partition, moves: Map<string, MutableMove>): void {
  let i = 0;
  let j = 0;
  let start = 0;
  // Stryker disable next-line EqualityOperator: both partitions end at size − 1; a pass at start = size records nothing
  while (start < a.size) {
    const endA = a.ends[i] as number;
    const endB = b.ends[j] as number;
    const end = Math.min(endA, endB);
    const from = a.owners[i] as string;
    const to = b.owners[j] as string;
    if (from !== to) {
      const move = moveFor(moves, from, to);
      move.count += end - start + 1;
      const last = move.ranges[move.ranges.length - 1];
      if (last && last.end === start - 1) last.end = end;
      else move.ranges.push({ start, end });
    }
    start = end + 1;
    if (endA === end) i++;
    if (endB === end) j++;
  }
}

function moveFor(moves: Map<string, MutableMove>, from: string, to: string): MutableMove {
  const id = `${from}\u0000${to}`;
  let move = moves.get(id);
  if (!move) {
    move = { from, to, count: 0, ranges: [] };
    moves.set(id, move);
  }
  return move;
}
