/** `gatehouse validate FILE`, run as the real executable: exit codes, stdout and stderr. */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO, runGatehouse } from "./bin.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gatehouse-validate-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text, "utf8");
  return path;
}

describe("gatehouse validate", () => {
  it("exits 0 for a valid table, with a summary on stdout and nothing on stderr", async () => {
    const run = await runGatehouse(["validate", "test/fixtures/valid/minimal.json"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^test\/fixtures\/valid\/minimal\.json: valid \(/);
    expect(run.stderr).toBe("");
  });

  it("warns that the shipped example's protected backend is also reachable through its open catch-all", async () => {
    const run = await runGatehouse(["validate", "examples/routes.yaml"]);
    expect(run).toEqual({
      code: 0,
      stdout: "examples/routes.yaml: valid (2 routes, 7 rules, 2 clusters, 1 provider)\n",
      stderr:
        'warning: routes[0].rules[5]: its backend "demo" is also reachable without auth through routes[1].rules[0] on the same host: the origin must not rely on the path alone to tell the two apart (docs/routing.md, "Origin readings")\n',
    });
  });

  it("exits 0 for a table with warnings, printing them on stderr", async () => {
    const run = await runGatehouse(["validate", "test/fixtures/valid/warnings.yaml"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^test\/fixtures\/valid\/warnings\.yaml: valid \(/);
    const warnings = run.stderr.split("\n").filter(Boolean);
    expect(warnings.length).toBeGreaterThan(0);
    for (const line of warnings) expect(line).toMatch(/^warning: routes\[\d+\]\.rules\[\d+\]\S*: /);
  });

  it("accepts an inline localJWKS as issuers publish it, warning of each key it skips", async () => {
    const run = await runGatehouse(["validate", "test/fixtures/valid/published-jwks.yaml"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^test\/fixtures\/valid\/published-jwks\.yaml: valid \(/);
    const warnings = run.stderr.split("\n").filter(Boolean);
    expect(warnings).toHaveLength(4);
    for (const line of warnings) {
      expect(line).toMatch(
        /^warning: providers\.accounts\.localJWKS\.keys\[[1-4]\]\.\w+: .*: this key is skipped$/,
      );
    }
  });

  it("exits 1 with every problem on stderr as path: reason, one a line, and nothing on stdout", async () => {
    const path = await file(
      "typo.yaml",
      [
        "version: 1",
        "clusters:",
        "  orders: { endpoints: [{ url: http://127.0.0.1:9001 }] }",
        "routes:",
        "  - id: a",
        "    rules: [{ backendRefs: [{ name: orders }] }]",
        "  - id: b",
        "    rules: [{ backendRefs: [{ name: orders, weight: -1 }] }]",
        "  - id: c",
        "    rules: [{ backendRefs: [{ name: ordrs }] }, { timeouts: { request: soon } }]",
        "",
      ].join("\n"),
    );
    const run = await runGatehouse(["validate", path]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      [
        "routes[1].rules[0].backendRefs[0].weight: must be at least 0",
        'routes[2].rules[1].timeouts.request: "soon" is not a duration (for example "30s", "100ms", "1h30m")',
        'routes[2].rules[0].backendRefs[0].name: no cluster "ordrs"',
        // Warnings follow the problems.
        "warning: routes[2].rules[0]: can never win: routes[0].rules[0] matches the same requests and comes first",
        "",
      ].join("\n"),
    );
  });

  it("exits 1 naming the file and position for a syntax error", async () => {
    const path = await file("broken.yaml", "version: 1\nroutes:\n  - id: a\n     rules: []\n");
    const run = await runGatehouse(["validate", path]);
    expect(run).toMatchObject({ code: 1, stdout: "" });
    expect(run.stderr).toMatch(new RegExp(`^${path.replaceAll("\\", "\\\\")}: line 3, column 9: .+\\n$`));
  });

  it("exits 1 for a file that cannot be read", async () => {
    const run = await runGatehouse(["validate", "no-such-file.yaml"]);
    expect(run).toEqual({ code: 1, stdout: "", stderr: "no-such-file.yaml: cannot read (no such file)\n" });
  });

  it.each([[[]], [["a.yaml", "b.yaml"]], [["--strict", "examples/routes.yaml"]]])(
    "exits 2 with its usage for wrong arguments: %j",
    async (args) => {
      const run = await runGatehouse(["validate", ...args]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(/^gatehouse validate: .+\nusage: gatehouse validate FILE\n$/);
    },
  );

  it("prints its usage on --help, exit 0", async () => {
    expect(await runGatehouse(["validate", "--help"])).toEqual({
      code: 0,
      stdout: "usage: gatehouse validate FILE\n",
      stderr: "",
    });
  });
});

describe("gatehouse", () => {
  it("exits 2 with the command list when no command or an unknown one is given", async () => {
    const none = await runGatehouse([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("usage: gatehouse <command> [arguments]");
    const typo = await runGatehouse(["valdate", "x.yaml"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^gatehouse: unknown command "valdate" \(did you mean "validate"\?\)\n/);
  });

  it("runs through npx from the repository root with no build step", async () => {
    // `npm ci` is all a clone needs: npx finds the package's own bin, which runs the TypeScript in place.
    const { stdout } = await promisify(execFile)(
      "npx",
      ["--no-install", "gatehouse", "validate", "examples/routes.yaml"],
      {
        cwd: REPO,
        timeout: 30_000,
      },
    );
    expect(stdout).toBe("examples/routes.yaml: valid (2 routes, 7 rules, 2 clusters, 1 provider)\n");
  });
});
