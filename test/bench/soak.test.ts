/**
 * The soak suite's short form (bench/soak.ts --short): the real Worker in workerd in front of three pod
 * processes, every scenario at a few hundred sockets and a few pushes. Run in a process of its own so
 * its load never shares an event loop with the test runner; quiet unless it fails, when the failed
 * checks are the assertion message.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ScenarioResult } from "../../bench/soak/scenarios.ts";

const root = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "gatehouse-soak-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("soak, short form", () => {
  it("loses nothing in any of the seven scenarios", { timeout: 240_000 }, () => {
    const json = join(dir, "soak.json");
    const run = spawnSync(
      process.execPath,
      ["--import", "tsx", join(root, "bench", "soak.ts"), "--short", "--quiet", "--json", json],
      { cwd: root, encoding: "utf8", timeout: 230_000 },
    );
    const results = (() => {
      try {
        return (JSON.parse(readFileSync(json, "utf8")) as { results: ScenarioResult[] }).results;
      } catch {
        return undefined;
      }
    })();
    expect(
      results,
      `the suite did not finish (exit ${run.status}):\n${run.stderr.slice(-4000)}`,
    ).toBeDefined();
    const failed = results!.flatMap((r) =>
      r.checks.filter((c) => !c.ok).map((c) => `${r.id}. ${r.name}: ${c.what}: ${c.detail}`),
    );
    expect(failed).toEqual([]);
    expect(results!.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(run.status).toBe(0);
  });
});
