import { beforeEach, describe, expect, it } from "vitest";
import {
  isolateTraffic,
  MAX_TRACKED_ROUTES,
  NO_ROUTE,
  OTHER_ROUTES,
  recordRequest,
  resetIsolateTrafficForTests,
  SLOT_SECONDS,
  SLOTS,
} from "../../src/observability/isolate-traffic.ts";

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

beforeEach(resetIsolateTrafficForTests);

describe("isolate traffic counters", () => {
  it("counts requests, 5xx errors and a p99 bound per route over the last hour", () => {
    for (let i = 0; i < 99; i++) recordRequest("a", 200, 3, T0);
    recordRequest("a", 502, 700, T0);
    recordRequest(undefined, 404, 0, T0);
    const { routes } = isolateTraffic(T0);
    expect(routes.map((r) => r.route)).toEqual(["a", NO_ROUTE]);
    const a = routes[0]!;
    expect([a.requests, a.errors, a.p99Ms]).toEqual([100, 1, 5]);
    expect(a.points).toHaveLength(SLOTS);
    expect(a.points.at(-1)).toMatchObject({ requests: 100, errors: 1 });
    // Counted since the first request, not since the module loaded (the clock stands at 0 then in workerd).
    expect(isolateTraffic(T0 + 60_000).since).toBe(new Date(T0).toISOString());
  });

  it("forgets what is older than the window, slot by slot", () => {
    recordRequest("a", 200, 1, T0);
    recordRequest("a", 200, 1, T0 + 30 * 60_000);
    expect(isolateTraffic(T0 + 30 * 60_000).routes[0]!.requests).toBe(2);
    expect(isolateTraffic(T0 + SLOTS * SLOT_SECONDS * 1000).routes[0]!.requests).toBe(1);
    recordRequest("a", 200, 1, T0 + SLOTS * SLOT_SECONDS * 1000);
    expect(isolateTraffic(T0 + SLOTS * SLOT_SECONDS * 1000).routes[0]!.requests).toBe(2);
  });

  it("bounds its memory: routes past the cap are counted together", () => {
    for (let i = 0; i < MAX_TRACKED_ROUTES + 5; i++) recordRequest(`r${i}`, 200, 1, T0);
    const { routes } = isolateTraffic(T0);
    expect(routes).toHaveLength(MAX_TRACKED_ROUTES + 1);
    expect(routes.find((r) => r.route === OTHER_ROUTES)!.requests).toBe(5);
  });
});
