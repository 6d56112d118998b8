/**
 * What every command shares (src/cli/main.ts): `--help` describing each flag of its synopsis, and
 * `--json` giving one JSON document on stdout whether the command succeeds or fails.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/cli/commands/index.ts";
import { main } from "../../src/cli/main.ts";
import { tableFor } from "../store/tables.ts";
import { gatehouse, type Workspace, workspace } from "./store-cli.ts";

let ws: Workspace;
beforeAll(async () => {
  ws = await workspace();
});
afterAll(() => ws.remove());

describe("--help", () => {
  it.each(COMMANDS.map((c) => [c.name]))(
    "%s: the synopsis, then every flag in it, described",
    async (name) => {
      const run = await gatehouse(name, "--help");
      expect(run).toMatchObject({ code: 0, err: "" });
      const [synopsis, ...rest] = run.out.split("\n\n");
      expect(synopsis).toMatch(new RegExp(`^usage: gatehouse ${name} `));
      const flags = new Set(synopsis!.match(/--[a-z][a-z-]*/g));
      const described = rest.join("\n\n");
      for (const flag of flags) {
        // At the start of a line, followed by its description on the same line.
        expect(described, `${name} --help describes ${flag}`).toMatch(
          new RegExp(`^ {2}(-\\w, )?${flag}( [A-Z][A-Z.]*)? {2,}\\S`, "m"),
        );
      }
      expect(flags).toContain("--json");
    },
  );
});

describe("--json", () => {
  it("every store command: one JSON document on stdout, for a result and for a failure", async () => {
    const file = await ws.file("routes.yaml", tableFor("a.example.com"));
    const target = ["--persist-to", ws.state, "--json"];
    const runs = {
      versions: await gatehouse("versions", ...target),
      diff: await gatehouse("diff", file, ...target),
      push: await gatehouse("push", file, ...target),
      again: await gatehouse("push", file, ...target),
      rollback: await gatehouse("rollback", ...target),
      usage: await gatehouse("rollback", "a", "b", ...target),
    };
    const json = Object.fromEntries(Object.entries(runs).map(([k, r]) => [k, JSON.parse(r.out) as unknown]));
    expect(json.versions).toEqual({ active: null, versions: [] });
    expect(json.diff).toMatchObject({ active: null, identical: false });
    expect(json.push).toMatchObject({ outcome: "published", previous: null, routes: 1 });
    expect(json.again).toMatchObject({ outcome: "unchanged" });
    expect(runs.rollback.code).toBe(1);
    expect(json.rollback).toEqual({
      error: { kind: "failed", message: expect.stringMatching(/^no version older/) },
    });
    expect(runs.usage.code).toBe(2);
    expect(json.usage).toEqual({ error: { kind: "usage", message: "expected at most one VERSION" } });
  }, 120_000);
});

describe("progress", () => {
  it("on stderr, before each slow step; local state only when a person is watching", async () => {
    const routes = Array.from({ length: 2000 }, (_, i) => ({
      id: `r${i}`,
      hostnames: [`h${i}.example.com`],
      rules: [{ backendRefs: [{ name: "c" }] }],
    }));
    const file = await ws.file("large.yaml", {
      version: 1,
      clusters: { c: { endpoints: [{ url: "http://127.0.0.1:9001" }] } },
      routes,
    });
    const written = { out: "", err: "" };
    const io = {
      stdout: (text: string) => {
        written.out += text;
      },
      stderr: (text: string) => {
        written.err += text;
      },
    };
    const args = ["push", file, "--persist-to", join(ws.dir, "large-state")];
    expect(await main(args, { ...io, interactive: true })).toBe(0);
    expect(written.err.split("\n").filter(Boolean)).toEqual([
      `gatehouse push: validating 2000 routes in ${file}…`,
      "gatehouse push: opening the local state…",
      expect.stringMatching(/^gatehouse push: publishing 2000 routes to local state in .*…$/),
    ]);
    expect(written.out).toMatch(/^published /);
  }, 120_000);
});
