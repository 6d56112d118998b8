/**
 * The Worker's `scheduled` handler: a Cron Trigger (`[triggers] crons` in wrangler.toml, once a minute)
 * runs one round of active health checks on the table the pointer names. Why a cron and not a Durable
 * Object alarm: docs/data-path.md, "Active health".
 *
 * One round: read the version's verdict record (or start from this isolate's own later copy), probe the
 * clusters whose interval has come round (`upstream/probe.ts`), write the record back with a short TTL,
 * install it here, and log each verdict that changed. Other isolates pick the record up in the
 * background (`store/health-source.ts`); no request ever waits on a probe.
 */
import type { Env } from "../gateway/env.ts";
import {
  HEALTH_RECORD_FORMAT,
  type HealthRecord,
  readHealthRecord,
  recordLifetimeMs,
  writeHealthRecord,
} from "../store/health-record.ts";
import { installedRecord, installHealthRecord } from "../store/health-source.ts";
import { versionId } from "../store/kv-layout.ts";
import { latestGateway } from "../store/table-source.ts";
import { probeRound } from "../upstream/probe.ts";

/** What a round did, for the log line and the tests. */
export interface HealthRoundSummary {
  version: string | undefined;
  probedClusters: number;
  changes: number;
}

export async function runActiveHealthChecks(env: Env, scheduledAt: number): Promise<HealthRoundSummary> {
  const gateway = await latestGateway(env);
  if (!gateway || gateway.clusters.activelyChecked.length === 0) {
    return { version: undefined, probedClusters: 0, changes: 0 };
  }
  const version = versionId(gateway.meta.version, gateway.meta.hash);
  const previous = await startingPoint(env, version);
  const round = await probeRound(gateway.clusters, env, previous?.clusters ?? {}, scheduledAt);
  const writtenAt = Date.now();
  const intervals = gateway.clusters.activelyChecked.map((c) => c.active!.intervalMs);
  const record: HealthRecord = {
    format: HEALTH_RECORD_FORMAT,
    version,
    writtenAt,
    expiresAt: writtenAt + recordLifetimeMs(intervals),
    clusters: round.clusters,
  };
  installHealthRecord(record);
  await writeHealthRecord(env.ROUTES, record);
  for (const { cluster, endpoint, verdict } of round.changes) {
    console.log(
      JSON.stringify({
        type: "health_check",
        version,
        cluster,
        endpoint,
        verdict: verdict.verdict,
        result: verdict.result,
        at: new Date(verdict.checkedAt).toISOString(),
      }),
    );
  }
  const probedClusters = Object.values(round.clusters).filter((c) => c.roundAt === scheduledAt).length;
  return { version, probedClusters, changes: round.changes.length };
}

/** The later of the stored record and this isolate's own copy (a KV read may lag the last write). */
async function startingPoint(env: Env, version: string): Promise<HealthRecord | undefined> {
  const own = installedRecord(version);
  const stored = await readHealthRecord(env.ROUTES, version);
  if (stored && !stored.ok) {
    console.error(
      JSON.stringify({
        type: "health_record_error",
        message: `health record of version ${version} replaced: ${stored.reason}`,
      }),
    );
  }
  const read = stored?.ok ? stored.record : undefined;
  if (!own) return read;
  if (!read) return own;
  return read.writtenAt > own.writtenAt ? read : own;
}
