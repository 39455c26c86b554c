/**
 * OpenTelemetry: loadstone's metrics as instruments and its traced operations as spans, through
 * `@opentelemetry/api` (an optional peer dependency).
 *
 * @module loadstone/otel
 */

export { LoadstoneInstrumentation } from './LoadstoneInstrumentation.js';
export type { LoadstoneOtelOptions } from './LoadstoneOtelOptions.js';
