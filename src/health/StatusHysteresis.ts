import { type Evaluation, LEVEL_NAMES, type Level } from './thresholds.js';

/**
 * The monitor's status as a level, moved by one evaluation per interval with flap protection: a
 * worse level is adopted after `enterAfter` intervals pointing up, a better one after
 * `recoverAfter` intervals below the recovery level (the thresholds lowered by `margin`).
 */
export class StatusHysteresis {
  readonly #enterAfter: number;
  readonly #recoverAfter: number;
  readonly #margin: number;
  #level: Level = 0;
  // Streaks of intervals pointing up (worse) or down (better), and the level they point to.
  #upStreak = 0;
  #upLevel: Level = 0;
  #downStreak = 0;
  #downLevel: Level = 0;

  constructor(enterAfter: number, recoverAfter: number, margin: number) {
    this.#enterAfter = enterAfter;
    this.#recoverAfter = recoverAfter;
    this.#margin = margin;
  }

  /** The current level: 0 healthy, 1 degraded, 2 critical. */
  get level(): Level {
    return this.#level;
  }

  /**
   * Moves the level by one evaluation. While the level held is worse than the evaluation's, says
   * why in `e.reasons`.
   *
   * @returns the level before.
   */
  advance(e: Evaluation): Level {
    const current = this.#level;
    let next: Level = current;
    if (e.level > current) {
      this.#downStreak = 0;
      this.#upLevel = this.#upStreak === 0 ? e.level : (Math.min(this.#upLevel, e.level) as Level);
      this.#upStreak++;
      if (this.#upStreak >= this.#enterAfter) next = this.#upLevel;
    } else if (e.recovery < current) {
      this.#upStreak = 0;
      this.#downLevel =
        this.#downStreak === 0 ? e.recovery : (Math.max(this.#downLevel, e.recovery) as Level);
      this.#downStreak++;
      if (this.#downStreak >= this.#recoverAfter) next = this.#downLevel;
    } else {
      this.#upStreak = 0;
      this.#downStreak = 0;
    }
    if (next !== current) {
      this.#upStreak = 0;
      this.#downStreak = 0;
    }
    if (next > e.level) {
      const held = LEVEL_NAMES[next] as string;
      e.reasons.push(
        this.#downStreak > 0
          ? `recovering: ${this.#downStreak} of ${this.#recoverAfter} intervals below the recovery level`
          : `holding ${held}: a metric is within the ${Math.round(this.#margin * 100)} % recovery margin of its threshold`,
      );
    }
    this.#level = next;
    return current;
  }
}
