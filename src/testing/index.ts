/**
 * Helpers for testing code built on loadstone, and contract suites that third-party
 * implementations of loadstone's interfaces can run.
 *
 * @module loadstone/testing
 */
export type { BusContractOptions, ContractAssertion, ContractTestApi } from './busContract.js';
export { describeBusContract } from './busContract.js';
export type { FakeClockOptions } from './FakeClock.js';
export { FakeClock } from './FakeClock.js';
export { describeJobStoreContract } from './jobStoreContract.js';
export { seededRandom } from './seededRandom.js';
