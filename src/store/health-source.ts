/**
 * The active-health verdicts this isolate acts on, read from KV the way the table is (`table-source.ts`):
 * never on a request's way. At most once per ROUTES_REFRESH_SECONDS, a request hands the read to
 * `waitUntil` and is answered at once; the next requests see what it found. Module scope keeps only
 * resolved data (the record last installed, timestamps): workerd forbids sharing a pending Promise
 * between requests.
 *
 * A table without `healthCheck.active` anywhere costs one length check per request: nothing is read.
 */
import type { GatewayConfig } from "../gateway/compile.ts";
import type { Env } from "../gateway/env.ts";
import { installActiveVerdicts } from "../upstream/active-health.ts";
import { healthKey } from "../upstream/health.ts";
import { type HealthRecord, readHealthRecord, verdictsByHealthKey } from "./health-record.ts";
import { versionId } from "./kv-layout.ts";
import { refreshIntervalMs } from "./table-source.ts";

/** A read that has not finished after this long is presumed lost (its request context ended). */
const READ_STALE_MS = 30_000;

interface HealthSourceState {
  /** When the record was last read (started); 0 = never. */
  checkedAt: number;
  readStartedAt: number;
  /** The record whose verdicts are installed. */
  installed: HealthRecord | undefined;
  lastError: { message: string; at: number } | undefined;
}

function freshState(): HealthSourceState {
  return { checkedAt: 0, readStartedAt: 0, installed: undefined, lastError: undefined };
}

let state = freshState();

/** Test-only: forget what was read, as a new isolate would start. */
export function resetHealthSourceForTests(): void {
  state = freshState();
}

/** Called once per request with the table it runs on: schedules a background read when one is due. */
export function refreshActiveHealth(env: Env, ctx: ExecutionContext, gateway: GatewayConfig): void {
  if (gateway.clusters.activelyChecked.length === 0) return;
  const now = Date.now();
  if (now - state.checkedAt < refreshIntervalMs(env)) return;
  if (state.readStartedAt !== 0 && now - state.readStartedAt < READ_STALE_MS) return;
  ctx.waitUntil(readVerdicts(env, gateway));
}

/** Reads the record of the gateway's version and installs it if it is newer than what is installed. */
export async function readVerdicts(env: Env, gateway: GatewayConfig): Promise<void> {
  const started = Date.now();
  state.checkedAt = started;
  state.readStartedAt = started;
  const version = versionId(gateway.meta.version, gateway.meta.hash);
  try {
    const read = await readHealthRecord(env.ROUTES, version);
    // No record (yet, or any more): what is installed expires by itself (`expiresAt`).
    if (read === undefined) return;
    if (!read.ok) {
      noteError(`health record of version ${version} ignored: ${read.reason}`);
      return;
    }
    installHealthRecord(read.record);
  } catch (err) {
    noteError(
      `reading the health record of version ${version} failed: ${err instanceof Error ? err.message : String(err)}`,
    );
  } finally {
    state.readStartedAt = 0;
  }
}

/**
 * Makes a record's verdicts the ones this isolate acts on, unless it already holds a later record of
 * the same version (a KV read may return a copy cached before the last write).
 */
export function installHealthRecord(record: HealthRecord): void {
  const current = state.installed;
  if (current && current.version === record.version && current.writtenAt >= record.writtenAt) return;
  state.installed = record;
  installActiveVerdicts(record.version, verdictsByHealthKey(record, healthKey), record.expiresAt);
}

/** The record installed here, when it is of `version`: the freshest state a probe round can start from. */
export function installedRecord(version: string): HealthRecord | undefined {
  return state.installed?.version === version ? state.installed : undefined;
}

function noteError(message: string): void {
  const repeated = state.lastError?.message === message;
  state.lastError = { message, at: Date.now() };
  if (!repeated) console.error(JSON.stringify({ type: "health_record_error", message }));
}

// ---------------------------------------------------------------------------------------------------
// For the status view

export interface HealthSourceStatus {
  /** The table version the verdicts in force were taken for; undefined: none read yet. */
  version: string | undefined;
  writtenAt: string | undefined;
  expiresAt: string | undefined;
  lastReadAt: string | undefined;
  lastError: { message: string; at: string } | undefined;
}

export function describeHealthSource(): HealthSourceStatus {
  const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : undefined);
  const { installed, lastError } = state;
  return {
    version: installed?.version,
    writtenAt: iso(installed?.writtenAt),
    expiresAt: iso(installed?.expiresAt),
    lastReadAt: iso(state.checkedAt),
    lastError: lastError && { message: lastError.message, at: new Date(lastError.at).toISOString() },
  };
}
