export { estimateQueue, type QueueEstimate, type QueueModelOptions } from './estimateQueue.js';
export { type CapacityPlan, type CapacityPlanOptions, planCapacity } from './planCapacity.js';
