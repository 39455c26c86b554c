import { BatchProcessor } from '../queue/index.js';
import { type Field, fields } from './fields.js';
import type { Kind } from './Kind.js';

const BATCH: readonly Field[] = [
  ['buffered', 'items_buffered', 'gauge', 'Items waiting for the next batch.'],
  [
    'pendingItems',
    'items_pending',
    'gauge',
    'Items added and not yet settled (buffered or in a running batch).',
  ],
  ['batchesInFlight', 'batches_in_flight', 'gauge', 'Batches being handled now.'],
  ['batches', 'batches_total', 'counter', 'Batches handed to the handler.'],
  ['itemsCompleted', 'items_completed_total', 'counter', 'Items whose batch succeeded.'],
  ['itemsFailed', 'items_failed_total', 'counter', 'Items whose batch failed.'],
  ['batchRetries', 'retries_total', 'counter', 'Retries of failed batches.'],
];

/** `BatchProcessor`: the `batch_*` families and flushes by trigger. @internal */
export const batchProcessorKind: Kind = {
  module: 'batch',
  is: (s) => s instanceof BatchProcessor,
  map: (b, stats, labels) => {
    fields(b, 'batch', stats, BATCH, labels);
    for (const reason of ['size', 'time', 'manual'] as const) {
      b.counter(
        'batch_flushes_total',
        'Batches flushed, by what triggered the flush.',
        stats[`${reason}Flushes`],
        { ...labels, reason },
      );
    }
  },
};
