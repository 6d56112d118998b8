/**
 * This isolate's own traffic counters: what the status page shows when the Analytics Engine SQL API is
 * not configured. Only this isolate's requests count (Cloudflare runs many), so the page labels them so.
 *
 * Per route, the last hour in twelve 5-minute slots: requests, errors (status >= 500) and a latency
 * histogram (fixed bucket bounds, so a p99 is an upper bound read off the buckets). A request costs a map
 * lookup and three increments; memory is bounded by tracking at most MAX_TRACKED_ROUTES routes (later
 * ones are counted together under OTHER_ROUTES).
 */

export const SLOT_SECONDS = 300;
export const SLOTS = 12;
/** Upper bounds (ms) of the latency buckets; the last bucket is everything slower. */
export const LATENCY_BOUNDS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000] as const;
const BUCKETS = LATENCY_BOUNDS_MS.length + 1;
/** Per slot: requests, errors, then the buckets. */
const STRIDE = 2 + BUCKETS;
export const MAX_TRACKED_ROUTES = 2000;
export const OTHER_ROUTES = "(other routes)";
/** Requests that matched no route. */
export const NO_ROUTE = "(no route)";

interface RouteCounters {
  /** The slot number (epoch seconds / SLOT_SECONDS) each of the SLOTS positions holds. */
  readonly slotOf: Float64Array;
  readonly counts: Uint32Array;
}

export interface TrafficPoint {
  /** Slot start, epoch seconds. */
  start: number;
  requests: number;
  errors: number;
}

export interface RouteTraffic {
  route: string;
  requests: number;
  errors: number;
  /** Milliseconds; undefined when there were no requests. */
  p99Ms: number | undefined;
  /** Oldest first, one per slot of the window, empty slots included. */
  points: TrafficPoint[];
}

const routes = new Map<string, RouteCounters>();
/** The first request counted. (Not the module's load time: the clock stands at 0 at a Worker's top level.) */
let since: number | undefined;

function bucketOf(ms: number): number {
  for (let i = 0; i < LATENCY_BOUNDS_MS.length; i++) if (ms <= LATENCY_BOUNDS_MS[i]!) return i;
  return LATENCY_BOUNDS_MS.length;
}

export function recordRequest(
  route: string | undefined,
  status: number,
  totalMs: number,
  nowMs: number,
): void {
  since ??= nowMs;
  let name = route ?? NO_ROUTE;
  let counters = routes.get(name);
  if (!counters) {
    if (routes.size >= MAX_TRACKED_ROUTES) name = OTHER_ROUTES;
    counters = routes.get(name);
    if (!counters) {
      counters = { slotOf: new Float64Array(SLOTS).fill(-1), counts: new Uint32Array(SLOTS * STRIDE) };
      routes.set(name, counters);
    }
  }
  const slot = Math.floor(nowMs / 1000 / SLOT_SECONDS);
  const at = slot % SLOTS;
  const base = at * STRIDE;
  if (counters.slotOf[at] !== slot) {
    counters.slotOf[at] = slot;
    counters.counts.fill(0, base, base + STRIDE);
  }
  counters.counts[base]!++;
  if (status >= 500) counters.counts[base + 1]!++;
  counters.counts[base + 2 + bucketOf(totalMs)]!++;
}

/** The last hour, per route, busiest first. */
export function isolateTraffic(nowMs: number): { since: string; routes: RouteTraffic[] } {
  const current = Math.floor(nowMs / 1000 / SLOT_SECONDS);
  const out: RouteTraffic[] = [];
  for (const [route, counters] of routes) {
    const points: TrafficPoint[] = [];
    const histogram = new Array<number>(BUCKETS).fill(0);
    let requests = 0;
    let errors = 0;
    for (let slot = current - SLOTS + 1; slot <= current; slot++) {
      const at = slot % SLOTS;
      const base = at * STRIDE;
      const live = counters.slotOf[at] === slot;
      const point = {
        start: slot * SLOT_SECONDS,
        requests: live ? counters.counts[base]! : 0,
        errors: live ? counters.counts[base + 1]! : 0,
      };
      points.push(point);
      requests += point.requests;
      errors += point.errors;
      if (live) for (let b = 0; b < BUCKETS; b++) histogram[b]! += counters.counts[base + 2 + b]!;
    }
    if (requests > 0)
      out.push({ route, requests, errors, p99Ms: quantileBound(histogram, requests, 0.99), points });
  }
  out.sort((a, b) => b.requests - a.requests || a.route.localeCompare(b.route));
  return { since: new Date(since ?? nowMs).toISOString(), routes: out };
}

/** The upper bound of the bucket that holds the q-quantile (the slowest bucket reports its lower bound). */
function quantileBound(histogram: readonly number[], total: number, q: number): number {
  const rank = Math.ceil(total * q);
  let seen = 0;
  for (let b = 0; b < histogram.length; b++) {
    seen += histogram[b]!;
    if (seen >= rank) return LATENCY_BOUNDS_MS[b] ?? LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
}

export function resetIsolateTrafficForTests(): void {
  routes.clear();
  since = undefined;
}
