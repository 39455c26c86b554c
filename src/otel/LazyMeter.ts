import { createNoopMeter, type Meter, type MeterProvider, metrics } from '@opentelemetry/api';

/** The class of the API's no-op meter, to tell "no SDK yet" from a real meter. */
const NoopMeter = createNoopMeter().constructor;
const POLL_MS = 1_000;

/**
 * The loadstone meter, made once a real MeterProvider exists: the given one at once, or the
 * global one as soon as an SDK registers it. `onReady` runs once, with the meter.
 */
export class LazyMeter {
  readonly #provider: MeterProvider | undefined;
  readonly #version: string;
  readonly #onReady: (meter: Meter) => void;
  #meter: Meter | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(provider: MeterProvider | undefined, version: string, onReady: (meter: Meter) => void) {
    this.#provider = provider;
    this.#version = version;
    this.#onReady = onReady;
    if (this.get() === undefined) {
      // No event says an SDK has registered: look again once a second until one has.
      this.#timer = setInterval(() => this.get(), POLL_MS);
      this.#timer.unref();
    }
  }

  /** The meter, or `undefined` while only the no-op provider exists. */
  get(): Meter | undefined {
    if (this.#meter !== undefined) return this.#meter;
    const meter = (this.#provider ?? metrics.getMeterProvider()).getMeter('loadstone', this.#version);
    if (meter instanceof NoopMeter) return undefined;
    this.#meter = meter;
    this.stop();
    this.#onReady(meter);
    return meter;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
