import type { PickCandidate, PickContext, Picker } from '../core/index.js';

/**
 * Smooth weighted round-robin, nginx's algorithm: on each pick every candidate's current weight
 * grows by its weight, the largest wins and loses the total. Over a cycle each candidate gets
 * exactly its share, spread out rather than in bursts: weights `{ a: 5, b: 1, c: 1 }` give
 * `a a b a c a a`. State is kept per affinity group (`ctx.group`).
 *
 * @example
 * {@includeCode ./pickers.test.ts#weightedRoundRobin}
 */
export class WeightedRoundRobinPicker implements Picker {
  readonly #current = new Map<string, Map<string, number>>();

  /**
   * Chooses by smooth weighted round-robin.
   *
   * @param candidates - the candidates that are up.
   * @param ctx - its `group` selects the state.
   * @returns the candidate with the largest current weight.
   */
  pick<C extends PickCandidate>(candidates: readonly C[], ctx?: PickContext): C | undefined {
    const group = ctx?.group ?? '';
    let current = this.#current.get(group);
    if (current === undefined) {
      current = new Map();
      this.#current.set(group, current);
    }
    let total = 0;
    let best: C | undefined;
    let bestWeight = Number.NEGATIVE_INFINITY;
    for (const candidate of candidates) {
      const weight = (current.get(candidate.id) ?? 0) + candidate.weight;
      current.set(candidate.id, weight);
      total += candidate.weight;
      if (weight > bestWeight) {
        best = candidate;
        bestWeight = weight;
      }
    }
    if (best !== undefined) current.set(best.id, bestWeight - total);
    return best;
  }

  /**
   * Drops a removed candidate's current weights.
   *
   * @param id - the removed candidate's id.
   */
  forget(id: string): void {
    for (const current of this.#current.values()) current.delete(id);
  }
}
