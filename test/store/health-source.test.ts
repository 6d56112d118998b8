/**
 * How an isolate comes to believe verdicts: a background read at most once per refresh interval, never
 * for a table without active checks, and never a stale copy over a later one. (Against real KV and the
 * real worker: test/worker/scheduled.workerd.test.ts, "another isolate reads the verdicts".)
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { RouteTableSchema } from "../../src/config/schema.ts";
import { compileGateway } from "../../src/gateway/compile.ts";
import type { Env } from "../../src/gateway/env.ts";
import { HEALTH_RECORD_FORMAT, type HealthRecord, healthRecordKey } from "../../src/store/health-record.ts";
import {
  describeHealthSource,
  installHealthRecord,
  readVerdicts,
  refreshActiveHealth,
  resetHealthSourceForTests,
} from "../../src/store/health-source.ts";
import { versionId } from "../../src/store/kv-layout.ts";
import { isActiveDown, resetActiveHealthForTests } from "../../src/upstream/active-health.ts";
import { healthKey } from "../../src/upstream/health.ts";

const URL_A = "http://127.0.0.1:9001/";

function gatewayWith(active: boolean) {
  const table = RouteTableSchema.parse({
    version: 1,
    clusters: {
      pods: {
        endpoints: [{ url: URL_A }],
        ...(active ? { healthCheck: { active: { path: "/healthz" } } } : {}),
      },
    },
    routes: [],
  });
  return compileGateway(table, { version: 7, hash: "a".repeat(64) });
}
const VERSION = versionId(7, "a".repeat(64));

function recordOf(verdict: "up" | "down", writtenAt: number): HealthRecord {
  return {
    format: HEALTH_RECORD_FORMAT,
    version: VERSION,
    writtenAt,
    expiresAt: Date.now() + 180_000,
    clusters: {
      pods: {
        roundAt: 0,
        endpoints: {
          [URL_A]: {
            verdict,
            since: 0,
            checkedAt: 0,
            result: "x",
            consecutiveSuccesses: 0,
            consecutiveFailures: 0,
          },
        },
      },
    },
  };
}

function envWith(stored: Record<string, string>) {
  const get = vi.fn(async (key: string) => stored[key] ?? null);
  const env = { ROUTES: { get } as unknown as KVNamespace, ROUTES_REFRESH_SECONDS: "10" } as Env;
  return { env, get };
}

function fakeCtx() {
  const pending: Promise<unknown>[] = [];
  const ctx = { waitUntil: (p: Promise<unknown>) => pending.push(p) } as unknown as ExecutionContext;
  return { ctx, pending };
}

afterEach(() => {
  resetHealthSourceForTests();
  resetActiveHealthForTests();
  vi.restoreAllMocks();
});

describe("refreshActiveHealth", () => {
  it("reads in the background at most once per refresh interval", async () => {
    const { env, get } = envWith({ [healthRecordKey(VERSION)]: JSON.stringify(recordOf("down", 1)) });
    const { ctx, pending } = fakeCtx();
    const gateway = gatewayWith(true);
    refreshActiveHealth(env, ctx, gateway);
    refreshActiveHealth(env, ctx, gateway);
    expect(pending).toHaveLength(1);
    // The request that started the read did not wait for it.
    expect(isActiveDown(healthKey("pods", URL_A), Date.now())).toBe(false);
    await Promise.all(pending);
    expect(get).toHaveBeenCalledTimes(1);
    expect(isActiveDown(healthKey("pods", URL_A), Date.now())).toBe(true);
    expect(describeHealthSource().version).toBe(VERSION);
  });

  it("reads nothing for a table without active checks", () => {
    const { env, get } = envWith({});
    const { ctx, pending } = fakeCtx();
    refreshActiveHealth(env, ctx, gatewayWith(false));
    expect(pending).toHaveLength(0);
    expect(get).not.toHaveBeenCalled();
  });
});

describe("installHealthRecord", () => {
  it("never replaces a later record of the same version with an earlier copy", async () => {
    installHealthRecord(recordOf("down", 2_000));
    const { env } = envWith({ [healthRecordKey(VERSION)]: JSON.stringify(recordOf("up", 1_000)) });
    await readVerdicts(env, gatewayWith(true));
    expect(isActiveDown(healthKey("pods", URL_A), Date.now())).toBe(true);
  });

  it("logs a damaged record once and keeps what it believed", async () => {
    installHealthRecord(recordOf("down", 2_000));
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const { env } = envWith({ [healthRecordKey(VERSION)]: "{not json" });
    await readVerdicts(env, gatewayWith(true));
    await readVerdicts(env, gatewayWith(true));
    expect(errors).toHaveBeenCalledTimes(1);
    expect(describeHealthSource().lastError?.message).toMatch(/ignored: the record is not JSON/);
    expect(isActiveDown(healthKey("pods", URL_A), Date.now())).toBe(true);
  });
});
