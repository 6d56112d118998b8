/**
 * The Worker: picks the table this request runs on, sends admin-host traffic to the status surface
 * (no route can shadow it), and hands everything else to the pipeline. Its `scheduled` handler runs
 * the active health checks (`scheduled.ts`).
 */
// Hono without a preset: the one catch-all route needs no pattern router, only the handler.
import { HonoBase } from "hono/hono-base";
import { handleAdmin } from "../admin/index.ts";
import type { Env } from "../gateway/env.ts";
import { errorResponse } from "../gateway/errors.ts";
import { handleRequest } from "../gateway/pipeline.ts";
import { normalizeHost } from "../routing/normalize.ts";
import { refreshActiveHealth } from "../store/health-source.ts";
import { currentGateway, noTableAnswer } from "../store/table-source.ts";
import { CatchAllRouter } from "./catch-all-router.ts";
import { runActiveHealthChecks } from "./scheduled.ts";

// The one route is a catch-all: Hono needs neither the path cut out of the URL nor a pattern match.
const app = new HonoBase<{ Bindings: Env }>({ router: new CatchAllRouter(), getPath: () => "/" });

app.all("*", async (c) => {
  const request = c.req.raw;
  // Hono types its own ExecutionContext; the runtime object is the Workers one.
  const ctx = c.executionCtx as unknown as ExecutionContext;
  const gateway = await currentGateway(c.env, ctx);
  // Active-health verdicts are read in the background, like the table: never waited on.
  if (gateway) refreshActiveHealth(c.env, ctx, gateway);
  // Parsed once here and handed down: the pipeline needs the same URL.
  const url = new URL(request.url);
  const admin = c.env.ADMIN_HOSTNAME;
  if (admin && normalizeHost(url.host) === normalizeHost(admin)) {
    return handleAdmin(request, c.env, gateway);
  }
  if (!gateway) {
    const { error, message } = noTableAnswer();
    return errorResponse(503, error, message, crypto.randomUUID());
  }
  return handleRequest(request, c.env, ctx, gateway, url);
});

export default {
  fetch: app.fetch,
  async scheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
    await runActiveHealthChecks(env, controller.scheduledTime);
  },
} satisfies ExportedHandler<Env>;

// The Durable Object backend's counter (`backend: DurableObject`), bound as RATE_LIMITER in wrangler.toml.
export { RateLimitCounter } from "../policy/rate-limit-counter.ts";
