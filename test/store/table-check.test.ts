/**
 * What the Worker checks of a version record before compiling it (`src/store/table-check.ts`): the
 * record is the one its key names, its hash matches, its table has the normalised shape and refers only
 * to clusters and providers it has, in the words `gatehouse validate` uses.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { formatProblem } from "../../src/config/problems.ts";
import type { RouteTable } from "../../src/config/schema.ts";
import { validateRouteTable } from "../../src/config/validate.ts";
import { LAYOUT_FORMAT, tableHash, versionId } from "../../src/store/kv-layout.ts";
import { checkStoredTable, checkVersionRecord } from "../../src/store/table-check.ts";
import { tableFor } from "./tables.ts";

/** Issue 11: 18 s of V8 backtracking on a 110-character path. */
const ISSUE_PATTERN = "/r/[a-z]{0,99}[a-z]{0,99}[a-z]{0,99}[a-z]{0,99}[a-z]{0,99}[a-z]{0,99}!";

function normalised(input: unknown): RouteTable {
  const result = validateRouteTable(input);
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join("\n"));
  return result.table;
}

async function recordText(table: unknown, overrides: Record<string, unknown> = {}) {
  const hash = await tableHash(table);
  const id = versionId(1_800_000_000_000, hash);
  const record = { format: LAYOUT_FORMAT, id, version: 1_800_000_000_000, hash, publishedAt: "x", table };
  return { id, text: JSON.stringify({ ...record, ...overrides }) };
}

describe("checkStoredTable", () => {
  it("accepts a table as push stores it", () => {
    const table = normalised(tableFor("a.example.com", "b.example.com"));
    expect(checkStoredTable(table)).toEqual({ ok: true, table });
  });

  it("accepts an inline localJWKS holding keys that cannot verify, as validate does (they are skipped)", async () => {
    const text = await readFile(new URL("../fixtures/valid/published-jwks.yaml", import.meta.url), "utf8");
    const table = normalised(parseYaml(text));
    expect(checkStoredTable(table)).toEqual({ ok: true, table });
  });

  it("refuses references to clusters and providers the table lacks, as validate words them", () => {
    const table = structuredClone(normalised(tableFor("a.example.com"))) as RouteTable;
    const rule = table.routes[0]!.rules[0]!;
    rule.backendRefs = [{ name: "missing", weight: 1 }];
    rule.filters = [
      { type: "RequestMirror", requestMirror: { backendRef: { name: "shadow" }, percent: 100 } },
    ];
    rule.auth = { provider: "nobody" };
    const expected = [
      'routes[0].rules[0].backendRefs[0].name: no cluster "missing"',
      'routes[0].rules[0].filters[0].requestMirror.backendRef.name: no cluster "shadow"',
      'routes[0].rules[0].auth.provider: no provider "nobody"',
    ];
    expect(checkStoredTable(table)).toEqual({ ok: false, problems: expected });
    const validation = validateRouteTable(table);
    expect(validation.ok).toBe(false);
    if (!validation.ok)
      expect(validation.problems.map(formatProblem)).toEqual(expect.arrayContaining(expected));
  });

  it("refuses a regular expression validate refuses, in its words: a hand-written record cannot slip one in", () => {
    const table = structuredClone(normalised(tableFor("a.example.com"))) as RouteTable;
    const rule = table.routes[0]!.rules[0]!;
    rule.matches = [
      {
        // Issue 11: 18 s of backtracking on a 110-character path in V8; over the program-size cap here.
        path: { type: "RegularExpression", value: ISSUE_PATTERN },
        headers: [{ name: "x-id", type: "RegularExpression", value: "(?=x)x" }],
        queryParams: [
          { name: "q", type: "RegularExpression", value: "[0-9]+" },
          { name: "r", type: "RegularExpression", value: "[a-z]{0,99}[a-z]{0,99}" },
        ],
      },
    ];
    const result = checkStoredTable(table);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      "routes[0].rules[0].matches[0].path.value: regular expression program size 1194 exceeds the limit of 100 (use smaller repetition counts or fewer alternatives)",
      "routes[0].rules[0].matches[0].headers[0].value: uses lookaround (`(?=`, `(?!`, `(?<=`, `(?<!`), which RE2 does not support (route regexes run in linear time)",
      "routes[0].rules[0].matches[0].queryParams[1].value: regular expression program size 398 exceeds the limit of 100 (use smaller repetition counts or fewer alternatives)",
    ]);
    const validation = validateRouteTable(table);
    expect(validation.ok).toBe(false);
    if (!validation.ok)
      expect(validation.problems.map(formatProblem)).toEqual(expect.arrayContaining(result.problems));
  });

  it("names every place a refused pattern is repeated, though it compiles each distinct one once", () => {
    const table = structuredClone(normalised(tableFor("a.example.com"))) as RouteTable;
    table.routes[0]!.rules[0]!.matches = [
      { path: { type: "RegularExpression", value: "/(?=x)" } },
      { path: { type: "RegularExpression", value: "/ok/[0-9]+" } },
      {
        path: { type: "RegularExpression", value: "/(?=x)" },
        headers: [{ name: "h", type: "RegularExpression", value: "/(?=x)" }],
      },
    ];
    const result = checkStoredTable(table);
    expect(result.ok ? [] : result.problems.map((p) => p.split(":")[0])).toEqual([
      "routes[0].rules[0].matches[0].path.value",
      "routes[0].rules[0].matches[2].path.value",
      "routes[0].rules[0].matches[2].headers[0].value",
    ]);
  });

  it("accepts what is catastrophic only for a backtracking engine: RE2 matches it in linear time", () => {
    const table = structuredClone(normalised(tableFor("a.example.com"))) as RouteTable;
    table.routes[0]!.rules[0]!.matches = [{ path: { type: "RegularExpression", value: "/(a+)+" } }];
    expect(checkStoredTable(table).ok).toBe(true);
  });

  it("refuses Exact and PathPrefix values with an encoded / or a stray %, as validate words them", () => {
    const table = structuredClone(normalised(tableFor("a.example.com"))) as RouteTable;
    table.routes[0]!.rules[0]!.matches = [
      { path: { type: "PathPrefix", value: "/a%2fb" } },
      { path: { type: "Exact", value: "/a%zz" } },
      { path: { type: "RegularExpression", value: "/a%.*" } },
    ];
    const expected = [
      'routes[0].rules[0].matches[0].path.value: must not contain an encoded "/" ("%2f")',
      'routes[0].rules[0].matches[1].path.value: has a "%" not followed by two hex digits ("%zz")',
    ];
    expect(checkStoredTable(table)).toEqual({ ok: false, problems: expected });
    const validation = validateRouteTable(table);
    if (!validation.ok)
      expect(validation.problems.map(formatProblem)).toEqual(expect.arrayContaining(expected));
    expect(validation.ok).toBe(false);
  });

  it("checks the shape before walking references, so a malformed table cannot make it throw", () => {
    for (const input of [
      null,
      "table",
      [],
      { version: 1 },
      { version: 1, providers: {}, clusters: {}, routes: [7] },
    ]) {
      const result = checkStoredTable(input);
      expect(result.ok).toBe(false);
    }
  });
});

describe("checkVersionRecord", () => {
  it("returns the info and the table of a sound record", async () => {
    const table = normalised(tableFor("a.example.com"));
    const { id, text } = await recordText(table);
    const result = await checkVersionRecord(id, text);
    expect(result.ok && result.info.id).toBe(id);
    expect(result.ok && result.table).toEqual(table);
  });

  it("refuses a record stored under another version's key", async () => {
    const { text } = await recordText(normalised(tableFor("a.example.com")));
    const other = versionId(1_800_000_000_001, "0".repeat(64));
    expect(await checkVersionRecord(other, text)).toEqual({
      ok: false,
      code: "id_mismatch",
      reason: expect.stringMatching(/says it is/),
    });
  });

  it("refuses a record whose id is not the one its version and hash make", async () => {
    const table = normalised(tableFor("a.example.com"));
    const hash = await tableHash(table);
    // Key and record agree on an id, but the id names another number than the record's.
    const id = versionId(1_800_000_000_005, hash);
    const { text } = await recordText(table, { id });
    expect(await checkVersionRecord(id, text)).toEqual({
      ok: false,
      code: "id_mismatch",
      reason: `its id ${id} is not the one its version and hash make (${versionId(1_800_000_000_000, hash)})`,
    });
  });

  it("refuses a table that does not match its hash before looking inside it", async () => {
    const table = normalised(tableFor("a.example.com"));
    const { id, text } = await recordText(table);
    const edited = text.replace("a.example.com", "evil.example.com");
    expect(await checkVersionRecord(id, edited)).toEqual({
      ok: false,
      code: "hash_mismatch",
      reason: "its table does not match its hash (damaged, or edited by hand)",
    });
  });

  it("refuses a record written by hand, hash and all, whose table is not well-shaped", async () => {
    const table = normalised(tableFor("a.example.com")) as unknown as { routes: { hostnames: unknown }[] };
    table.routes[0]!.hostnames = "a.example.com";
    const { id, text } = await recordText(table);
    expect(await checkVersionRecord(id, text)).toEqual({
      ok: false,
      code: "check_failed",
      reason:
        'it is not a table this Worker can serve: routes[0].hostnames: must be an array, not string "a.example.com"',
    });
  });
});
