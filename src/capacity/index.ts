/**
 * How many workers, threads and pool connections a load needs, by Little's law and M/M/c.
 *
 * @module loadstone/capacity
 */
export { estimateQueue, type QueueEstimate, type QueueModelOptions } from './estimateQueue.js';
export { type CapacityPlan, type CapacityPlanOptions, planCapacity } from './planCapacity.js';
