// OpenTelemetry semantic-convention names loadstone emits. Copied rather than imported, as the
// semantic-conventions package advises for names still marked Development (its `incubating`
// entry point may break in a minor release), and so that `@opentelemetry/api` stays the only
// OpenTelemetry import.

/** Database client connection pools (Development): one series per pool. */
export const DB_CLIENT_CONNECTION_COUNT = 'db.client.connection.count';
export const DB_CLIENT_CONNECTION_MAX = 'db.client.connection.max';
export const DB_CLIENT_CONNECTION_PENDING_REQUESTS = 'db.client.connection.pending_requests';
export const DB_CLIENT_CONNECTION_TIMEOUTS = 'db.client.connection.timeouts';
export const DB_CLIENT_CONNECTION_WAIT_TIME = 'db.client.connection.wait_time';
export const ATTR_DB_CLIENT_CONNECTION_POOL_NAME = 'db.client.connection.pool.name';
export const ATTR_DB_CLIENT_CONNECTION_STATE = 'db.client.connection.state';

/** Messaging (Development): jobs are messages a consumer processes. */
export const MESSAGING_PROCESS_DURATION = 'messaging.process.duration';
export const MESSAGING_CLIENT_CONSUMED_MESSAGES = 'messaging.client.consumed.messages';
export const ATTR_MESSAGING_SYSTEM = 'messaging.system';
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id';

/** Stable. */
export const ATTR_ERROR_TYPE = 'error.type';
