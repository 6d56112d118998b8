/**
 * Exponential backoff with full jitter (the AWS architecture blog's "full jitter": a uniform delay in
 * [0, min(cap, base·2^n)]), so that replicas and informers that failed together do not retry together.
 * One instance per thing that retries; `reset` after a success.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** For tests: a source of [0, 1). */
  random?: () => number;
}

export class Backoff {
  #failures = 0;
  readonly #options: BackoffOptions;

  constructor(options: BackoffOptions) {
    this.#options = options;
  }

  /** The delay before the next attempt, counting this failure. Never below a tenth of the base. */
  next(): number {
    const { baseMs, maxMs, random = Math.random } = this.#options;
    const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(this.#failures, 30));
    this.#failures++;
    return Math.max(baseMs / 10, Math.round(random() * ceiling));
  }

  get failures(): number {
    return this.#failures;
  }

  reset(): void {
    this.#failures = 0;
  }
}
