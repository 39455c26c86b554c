import { ClusterBusRelay } from '../cluster/index.js';
import { type Field, fields } from './fields.js';
import { type Kind, record } from './Kind.js';

const BUS: readonly Field[] = [
  ['relayed', 'messages_relayed_total', 'counter', 'Messages relayed between workers.'],
  ['published', 'messages_published_total', 'counter', 'Messages published by workers.'],
  ['sent', 'messages_sent_total', 'counter', 'Deliveries sent to workers.'],
  ['sendFailures', 'send_failures_total', 'counter', 'Deliveries that failed to send.'],
];

/** `ClusterBusRelay`: the `bus_*` families and dropped messages by reason. @internal */
export const clusterBusRelayKind: Kind = {
  module: 'bus',
  is: (s) => s instanceof ClusterBusRelay,
  map: (b, stats, labels) => {
    fields(b, 'bus', stats, BUS, labels);
    for (const [reason, count] of Object.entries(record(stats.droppedByReason))) {
      b.counter('bus_messages_dropped_total', 'Messages dropped, by reason.', count, { ...labels, reason });
    }
  },
};
