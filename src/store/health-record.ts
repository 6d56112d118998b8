/**
 * The active-health verdicts in KV: one record per table version, `health/<version id>`, written by the
 * scheduled probe round (`src/worker/scheduled.ts`) and read by every isolate in the background
 * (`health-source.ts`). See docs/kv-layout.md and docs/data-path.md, "Active health".
 *
 * - Per version: a new table starts with no verdicts (its first round decides), and a verdict is never
 *   applied to a table it was not taken for, beyond the overlap while isolates move to the new version.
 * - With a short TTL: the record expires (in KV, and by its own `expiresAt` for readers that still hold
 *   it) a few intervals after the last round, so checks that stop running fall back to passive health
 *   alone instead of keeping endpoints down forever.
 *
 * What the Worker reads back is checked against a small JSON Schema with the stored table's checker.
 */
import type { EndpointVerdict } from "../upstream/active-health.ts";
import type { TableVerdicts } from "../upstream/probe.ts";
import { type JsonSchema, shapeProblem } from "./table-shape.ts";

export const HEALTH_KEY_PREFIX = "health/";
export const HEALTH_RECORD_FORMAT = 1;

/** The shortest lifetime a record gets; KV's own minimum TTL is 60 s. */
const MIN_TTL_MS = 180_000;
/** Intervals a record outlives its round by: a missed run or two does not drop the verdicts. */
const INTERVALS_KEPT = 3;

export function healthRecordKey(versionId: string): string {
  return `${HEALTH_KEY_PREFIX}${versionId}`;
}

export interface HealthRecord {
  readonly format: typeof HEALTH_RECORD_FORMAT;
  /** The table version the verdicts were taken for. */
  readonly version: string;
  readonly writtenAt: number;
  /** Past this the verdicts are not to be trusted. */
  readonly expiresAt: number;
  /** Cluster name → its last round and its endpoints' verdicts. */
  readonly clusters: TableVerdicts;
}

/** How long a record written now stays in force: INTERVALS_KEPT of the longest interval, at least 3 min. */
export function recordLifetimeMs(intervalsMs: readonly number[]): number {
  return Math.max(MIN_TTL_MS, INTERVALS_KEPT * Math.max(0, ...intervalsMs));
}

const VERDICT_SHAPE: JsonSchema = {
  type: "object",
  properties: {
    verdict: { enum: ["up", "down"] },
    since: { type: "number" },
    checkedAt: { type: "number" },
    result: { type: "string", maxLength: 1024 },
    consecutiveSuccesses: { type: "integer", minimum: 0 },
    consecutiveFailures: { type: "integer", minimum: 0 },
  },
  required: ["verdict", "since", "checkedAt", "result", "consecutiveSuccesses", "consecutiveFailures"],
  additionalProperties: false,
};

export const HEALTH_RECORD_SHAPE: JsonSchema = {
  type: "object",
  properties: {
    format: { const: HEALTH_RECORD_FORMAT },
    version: { type: "string" },
    writtenAt: { type: "number" },
    expiresAt: { type: "number" },
    clusters: {
      type: "object",
      additionalProperties: {
        type: "object",
        properties: {
          roundAt: { type: "number" },
          endpoints: { type: "object", additionalProperties: VERDICT_SHAPE },
        },
        required: ["roundAt", "endpoints"],
        additionalProperties: false,
      },
    },
  },
  required: ["format", "version", "writtenAt", "expiresAt", "clusters"],
  additionalProperties: false,
};

export type ParsedHealthRecord = { ok: true; record: HealthRecord } | { ok: false; reason: string };

/** A record read back from KV, or why it cannot be used (`version` is the key's version id). */
export function parseHealthRecord(text: string, version: string): ParsedHealthRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: "the record is not JSON" };
  }
  const problem = shapeProblem(HEALTH_RECORD_SHAPE, value);
  if (problem) return { ok: false, reason: problem };
  const record = value as HealthRecord;
  if (record.version !== version) {
    return { ok: false, reason: `the record is for version ${record.version}, not ${version}` };
  }
  return { ok: true, record };
}

export async function readHealthRecord(
  kv: KVNamespace,
  version: string,
): Promise<ParsedHealthRecord | undefined> {
  const text = await kv.get(healthRecordKey(version), "text");
  return text === null ? undefined : parseHealthRecord(text, version);
}

export async function writeHealthRecord(kv: KVNamespace, record: HealthRecord): Promise<void> {
  // KV's TTL drops the record itself; `expiresAt` covers readers that already hold a copy.
  const ttlSeconds = Math.max(60, Math.ceil((record.expiresAt - record.writtenAt) / 1000));
  await kv.put(healthRecordKey(record.version), JSON.stringify(record), { expirationTtl: ttlSeconds });
}

/** Every verdict of a record, by health key (`upstream/health.ts`: cluster name and endpoint URL). */
export function verdictsByHealthKey(
  record: HealthRecord,
  healthKeyOf: (cluster: string, endpointUrl: string) => string,
): Map<string, EndpointVerdict> {
  const verdicts = new Map<string, EndpointVerdict>();
  for (const [cluster, { endpoints }] of Object.entries(record.clusters)) {
    for (const [url, verdict] of Object.entries(endpoints)) verdicts.set(healthKeyOf(cluster, url), verdict);
  }
  return verdicts;
}
