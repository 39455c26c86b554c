import type { PickCandidate, PickContext, Picker } from '../core/index.js';

/**
 * Round-robin: each candidate in turn, ignoring weights and load. Exactly fair while the set of
 * candidates stays the same (over `k × n` picks each of `n` candidates gets `k`). The turn is
 * kept per affinity group (`ctx.group`), so one group's traffic does not skew another's.
 *
 * @example
 * {@includeCode ./pickers.test.ts#roundRobin}
 */
export class RoundRobinPicker implements Picker {
  readonly #next = new Map<string, number>();

  /**
   * Chooses the next candidate in turn.
   *
   * @param candidates - the candidates that are up.
   * @param ctx - its `group` selects the turn counter.
   * @returns the candidate whose turn it is.
   */
  pick<C extends PickCandidate>(candidates: readonly C[], ctx?: PickContext): C | undefined {
    const n = candidates.length;
    if (n === 0) return undefined;
    const group = ctx?.group ?? '';
    const turn = this.#next.get(group) ?? 0;
    this.#next.set(group, turn + 1 >= Number.MAX_SAFE_INTEGER ? 0 : turn + 1);
    return candidates[turn % n];
  }
}
