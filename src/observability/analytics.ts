/**
 * One Workers Analytics Engine data point per request, built from the finished access-log entry (no
 * second pass over the request). The binding is optional: a Worker without `ANALYTICS` writes nothing.
 *
 * The schema is positional (Analytics Engine has no column names); docs/observability.md holds the same
 * table and the SQL that reads it. Append new fields at the end: a position once used keeps its meaning,
 * or old rows would read wrong.
 *
 *   index1   route id ("" when no route matched): the sampling key, so a quiet route keeps its rows
 *            when a busy one is sampled down
 *   blob1    route id          blob2  rule (name, else index)   blob3  cluster     blob4  endpoint
 *   blob5    status class (2xx, 3xx, 4xx, 5xx)                   blob6  auth outcome: none | ok | error code
 *   blob7    provider          blob8  token cache: hit | miss | ""  blob9  gateway error code ("" if none)
 *   blob10   method            blob11 host                        blob12 client address (CF-Connecting-IP)
 *   double1  status            double2 total ms                   double3 upstream ms (0: no upstream)
 *   double4  table version     double5 upstream attempts
 */
import type { AccessLogEntry } from "../gateway/access-log.ts";

/** The binding's name in wrangler.toml (`analytics_engine_datasets`). */
export const ANALYTICS_BINDING = "ANALYTICS";

/** What Analytics Engine's binding offers (a stand-in in tests implements the same). */
export interface AnalyticsDataset {
  writeDataPoint(point: { indexes?: string[]; blobs?: string[]; doubles?: number[] }): void;
}

const STATUS_CLASS = ["0xx", "1xx", "2xx", "3xx", "4xx", "5xx"];

export function statusClass(status: number): string {
  return STATUS_CLASS[Math.floor(status / 100)] ?? "5xx";
}

export function requestDataPoint(entry: AccessLogEntry, clientAddress: string) {
  const status = entry.status ?? 0;
  const route = entry.route ?? "";
  return {
    indexes: [route],
    blobs: [
      route,
      entry.rule === undefined ? "" : String(entry.rule),
      entry.cluster ?? "",
      entry.endpoint ?? "",
      statusClass(status),
      entry.auth ?? "",
      entry.provider ?? "",
      entry.tokenCache ?? "",
      entry.error ?? "",
      entry.method,
      entry.host,
      clientAddress,
    ],
    doubles: [
      status,
      entry.totalMs ?? 0,
      entry.upstreamMs ?? 0,
      entry.tableVersion ?? 0,
      entry.attempts ?? 0,
    ],
  };
}

/** Writes the request's point when the binding is there; a write never fails the request. */
export function writeRequestDataPoint(dataset: unknown, entry: AccessLogEntry, clientAddress: string): void {
  if (!dataset || typeof (dataset as AnalyticsDataset).writeDataPoint !== "function") return;
  try {
    (dataset as AnalyticsDataset).writeDataPoint(requestDataPoint(entry, clientAddress));
  } catch (err) {
    console.error(JSON.stringify({ type: "analytics", event: "write_failed", message: String(err) }));
  }
}
