import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  LAYOUT_FORMAT,
  parseActivePointer,
  parseVersionId,
  parseVersionRecord,
  sha256Hex,
  versionId,
  versionListing,
} from "../../src/store/kv-layout.ts";

const HASH = "a".repeat(64);

describe("kv layout", () => {
  it("writes canonical JSON: sorted keys at every level, no undefined members", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined }], c: "x" } })).toBe(
      '{"a":{"c":"x","d":[3,{"z":1}]},"b":1}',
    );
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });

  it("writes the same text as the plain recursive definition, key order and odd keys included", () => {
    // The definition canonicalJson is an optimised form of (hashes of stored tables depend on it).
    const reference = (value: unknown): string => {
      if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
      if (Array.isArray(value)) return `[${value.map(reference).join(",")}]`;
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(",")}}`;
    };
    const samples: unknown[] = [
      { "10": 1, "9": 2, b: [1, undefined, null, 'x"y'], a: {} },
      { "\u{1F600}": 1, "\uFFFF": 2, é: 3, E: 4, "": 5 },
      JSON.parse('{"__proto__": {"x": 1}, "constructor": [true, false, -0, 1e21, 0.1]}'),
      [[], [{}], { z: { y: { x: [undefined] } } }],
      "plain",
      undefined,
      { only: undefined },
    ];
    for (const sample of samples) expect(canonicalJson(sample)).toBe(reference(sample));
  });

  it("hashes with SHA-256", async () => {
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("makes version ids that sort chronologically and parse back", () => {
    const id = versionId(1_800_000_000_123, HASH);
    expect(id).toBe(`1800000000123-${"a".repeat(12)}`);
    expect(parseVersionId(id)).toEqual({ version: 1_800_000_000_123, hashPrefix: "a".repeat(12) });
    expect(versionId(999, HASH) < versionId(1000, HASH)).toBe(true);
    expect(parseVersionId("latest")).toBeUndefined();
  });

  it("refuses damaged pointers and records with a reason", () => {
    expect(parseActivePointer("{")).toMatchObject({ ok: false });
    expect(parseActivePointer(JSON.stringify({ format: 99 }))).toMatchObject({ ok: false, reason: /format/ });
    const good = {
      format: LAYOUT_FORMAT,
      id: versionId(5, HASH),
      version: 5,
      hash: HASH,
      activatedAt: "2026-01-01T00:00:00.000Z",
      reason: "push",
      history: [{ broken: true }],
    };
    const parsed = parseActivePointer(JSON.stringify(good));
    expect(parsed.ok && parsed.value.history).toEqual([]); // a bad history entry is dropped, not fatal
    expect(parseActivePointer(JSON.stringify({ ...good, hash: "nope" }))).toMatchObject({
      ok: false,
      reason: /hash/,
    });
    expect(parseVersionRecord(JSON.stringify({ ...good, publishedAt: "x" }))).toMatchObject({
      ok: false,
      reason: /table/,
    });
  });

  it("keeps version metadata within KV's 1024 bytes", () => {
    const listing = versionListing(
      {
        id: versionId(5, HASH),
        version: 5,
        hash: HASH,
        publishedAt: "2026-01-01T00:00:00.000Z",
        publishedBy: "p".repeat(500),
        message: "m".repeat(5000),
      },
      { version: 1, providers: {}, clusters: {}, routes: [] },
    );
    expect(new TextEncoder().encode(JSON.stringify(listing)).length).toBeLessThanOrEqual(1024);
    expect(listing.message?.endsWith("…")).toBe(true);
    expect(listing.publishedBy).toHaveLength(200);
  });
});
