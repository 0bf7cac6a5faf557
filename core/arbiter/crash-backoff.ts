/**
 * The arbiter's respawn backoff (split out of arbiter.ts): workers that die
 * unexpectedly before serving anything may be a crash loop, so the third and
 * later such deaths within a window delay the next spawn, doubling up to a cap.
 */
import type { Logger } from "../log/logger.ts";

/** Backoff delays, ms (see ArbiterTuning in arbiter-types.ts). */
export interface CrashBackoffTuning {
  backoffBaseMs: number;
  backoffMaxMs: number;
  crashWindowMs: number;
}

/** Remembers recent unexpected deaths and when the next spawn may happen. */
export class CrashBackoff {
  private crashTimes: number[] = [];
  private nextSpawnAt = 0;

  constructor(
    private readonly tuning: CrashBackoffTuning,
    private readonly logger: Logger,
  ) {}

  /** Note an unexpected death at monotonic time `now`; several within the window delay the next spawn (logged). */
  record(now: number): void {
    this.crashTimes = this.crashTimes.filter((t) => now - t < this.tuning.crashWindowMs);
    this.crashTimes.push(now);
    const n = this.crashTimes.length;
    if (n <= 2) return;
    const delay = Math.min(this.tuning.backoffMaxMs, this.tuning.backoffBaseMs * 2 ** (n - 3));
    this.nextSpawnAt = now + delay;
    this.logger.warning(
      `${n} workers died in the last ${Math.round(this.tuning.crashWindowMs / 1000)} s; waiting ${delay} ms before starting another`,
    );
  }

  /** Milliseconds to wait at `now` before the next spawn (≤ 0: spawn now). */
  waitMs(now: number): number {
    return this.nextSpawnAt - now;
  }
}
