// Consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam; HAProxy's
// `hash-balance-factor`): a client goes to its own slot unless that slot already holds
// ⌈factor × mean⌉ open connections (the mean counting this one), in which case it walks on along
// the ring, in its own order, to the first slot under the bound. No slot exceeds the bound, and a
// client moves only while its slot is full.

/** A slot as the bound sees it. @internal */
export type LoadedSlot = { readonly id: string; readonly open: number };

/** `⌈factor × (Σ open + 1) / slots⌉`: the most open connections a slot may have after this one. @internal */
export function loadBound(slots: readonly LoadedSlot[], factor: number): number {
  let total = 1;
  for (const slot of slots) total += slot.open;
  return Math.ceil((factor * total) / slots.length);
}

/**
 * The first of `order` (a key's slots in ring order, up slots only) under the bound of `slots`
 * (every up slot), or `undefined` when `order` is empty.
 * @internal
 */
export function pickBounded<S extends LoadedSlot>(
  order: readonly S[],
  slots: readonly S[],
  factor: number,
): S | undefined {
  if (order.length === 0) return undefined;
  const bound = loadBound(slots, factor);
  for (const slot of order) if (slot.open < bound) return slot;
  return order[0]; // unreachable while order covers slots: some slot is at or under the mean
}
