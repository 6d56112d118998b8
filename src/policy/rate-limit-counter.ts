/**
 * The Durable Object backend's counter: one object per limit and key (`idFromName(counter key)`), so
 * every request with that key, from any location, is counted in one place, exactly. The Worker exports
 * the class; wrangler.toml binds it as `RATE_LIMITER` (docs/traffic-policy.md#backends).
 *
 * A fixed window aligned to the clock (as the binding's): at most `requests` per window, and up to twice
 * that across a window's edge. The count is kept in memory and written to the object's storage on every
 * hit; the runtime holds the answer until the write is durable, so an evicted or moved object resumes
 * from the stored count. A key that goes quiet leaves nothing behind: each new window sets an alarm
 * for when the window after it ends, and the alarm deletes the object's storage if no request came
 * since (one alarm write per window, not per request). Only this file imports `cloudflare:workers`, so
 * the Node side never loads it.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../gateway/env.ts";
import type { RateLimitVerdict } from "./rate-limit-backend.ts";

interface Window {
  start: number;
  count: number;
  periodMs: number;
}

export class RateLimitCounter extends DurableObject<Env> {
  private window: Window = { start: 0, count: 0, periodMs: 0 };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      this.window = (await ctx.storage.get<Window>("window")) ?? this.window;
    });
  }

  /** Counts one request against `requests` per `periodMs`, and says whether it is allowed. */
  hit(requests: number, periodMs: number): RateLimitVerdict {
    const now = Date.now();
    const start = now - (now % periodMs);
    if (start !== this.window.start) {
      this.window = { start, count: 0, periodMs };
      void this.ctx.storage.setAlarm(start + 2 * periodMs);
    }
    const resetSeconds = Math.max(1, Math.ceil((start + periodMs - now) / 1000));
    if (this.window.count >= requests) return { allowed: false, remaining: 0, resetSeconds };
    this.window.count++;
    // Not awaited: the output gate holds the answer until the write is durable.
    void this.ctx.storage.put("window", this.window);
    return { allowed: true, remaining: requests - this.window.count, resetSeconds };
  }

  /** Forgets a key whose window has ended with no request since: its count no longer matters. */
  override async alarm(): Promise<void> {
    const quietFrom = this.window.start + 2 * this.window.periodMs;
    if (Date.now() < quietFrom) {
      await this.ctx.storage.setAlarm(quietFrom); // still counting: look again when it may be quiet
      return;
    }
    this.window = { start: 0, count: 0, periodMs: 0 };
    await this.ctx.storage.deleteAll();
  }
}
