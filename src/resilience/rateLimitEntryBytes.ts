/**
 * A held key's fixed cost in bytes: its state object and map slot. Measured on Node 20 at about
 * 165-180 bytes per key (the state, its map slot and the table's slack); rounded up.
 */
const ENTRY_OVERHEAD_BYTES = 192;

/**
 * Estimated bytes a memory rate-limit store spends on `key`: the fixed cost plus two bytes per
 * character, the most a V8 string takes (one-byte strings take one), so the estimate errs high.
 */
export function entryBytes(key: string): number {
  return ENTRY_OVERHEAD_BYTES + key.length * 2;
}
