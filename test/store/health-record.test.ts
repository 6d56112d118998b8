/** The verdict record's shape as the Worker reads it back, its lifetime, and its keys. */
import { describe, expect, it } from "vitest";
import {
  HEALTH_RECORD_FORMAT,
  type HealthRecord,
  healthRecordKey,
  parseHealthRecord,
  recordLifetimeMs,
  verdictsByHealthKey,
} from "../../src/store/health-record.ts";
import { healthKey } from "../../src/upstream/health.ts";

const VERSION = "0001796529702123-603b168f92dc";
const record: HealthRecord = {
  format: HEALTH_RECORD_FORMAT,
  version: VERSION,
  writtenAt: 1_000,
  expiresAt: 181_000,
  clusters: {
    orders: {
      roundAt: 0,
      endpoints: {
        "http://10.0.0.1:8080/": {
          verdict: "down",
          since: 500,
          checkedAt: 900,
          result: "timeout",
          consecutiveSuccesses: 0,
          consecutiveFailures: 2,
        },
      },
    },
  },
};

describe("parseHealthRecord", () => {
  it("reads back what was written", () => {
    expect(parseHealthRecord(JSON.stringify(record), VERSION)).toEqual({ ok: true, record });
  });

  it("refuses a record of another version, a damaged one, or one from a newer writer", () => {
    expect(parseHealthRecord(JSON.stringify(record), "0001-000000000000")).toMatchObject({ ok: false });
    expect(parseHealthRecord("{", VERSION)).toEqual({ ok: false, reason: "the record is not JSON" });
    const damaged = JSON.parse(JSON.stringify(record));
    damaged.clusters.orders.endpoints["http://10.0.0.1:8080/"].verdict = "sideways";
    expect(parseHealthRecord(JSON.stringify(damaged), VERSION)).toEqual({
      ok: false,
      reason: 'clusters.orders.endpoints["http://10.0.0.1:8080/"].verdict: must be one of "up", "down"',
    });
    expect(parseHealthRecord(JSON.stringify({ ...record, format: 2 }), VERSION)).toMatchObject({
      ok: false,
      reason: "format: must be 1",
    });
  });
});

describe("the record's keys and lifetime", () => {
  it("lives three of the longest intervals, at least three minutes", () => {
    expect(recordLifetimeMs([60_000])).toBe(180_000);
    expect(recordLifetimeMs([60_000, 300_000])).toBe(900_000);
    expect(recordLifetimeMs([])).toBe(180_000);
  });

  it("is one key per version, and its verdicts map to passive health's keys", () => {
    expect(healthRecordKey(VERSION)).toBe(`health/${VERSION}`);
    const verdicts = verdictsByHealthKey(record, healthKey);
    expect([...verdicts.keys()]).toEqual([healthKey("orders", "http://10.0.0.1:8080/")]);
  });
});
