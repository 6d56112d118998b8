/**
 * `--local` must write the very store `wrangler dev` reads. Proven against wrangler itself: push with
 * our CLI, read back with `wrangler kv key get/list --local --persist-to`; and the other way round,
 * publish through the wrangler adapter (the code path of `--remote`, pointed at local state) and read
 * it with our CLI. Slow (each wrangler run starts a Miniflare), so few steps.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WranglerKvStore } from "../../src/cli/kv-remote.ts";
import { ACTIVE_KEY, parseActivePointer, versionKey } from "../../src/store/kv-layout.ts";
import { listVersions, publishTable } from "../../src/store/publish.ts";
import { tableFor } from "../store/tables.ts";
import { gatehouse, STAGING_WRANGLER_TOML, type Workspace, workspace } from "./store-cli.ts";

const wranglerBin = join(
  dirname(createRequire(import.meta.url).resolve("wrangler/package.json")),
  "bin",
  "wrangler.js",
);

function wrangler(...args: string[]): string {
  const run = spawnSync(process.execPath, [wranglerBin, ...args], {
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`wrangler ${args.join(" ")}: ${run.stderr}`);
  return run.stdout;
}

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
});
afterEach(() => ws.remove());

describe("local state shared with wrangler", () => {
  it("what `gatehouse push --local --persist-to D` writes, `wrangler kv … --local --persist-to D` reads", async () => {
    const file = await ws.file("routes.yaml", tableFor("a.example.com"));
    const run = await gatehouse("push", file, "--local", "--persist-to", ws.state);
    expect(run.code).toBe(0);
    const id = /\d{13}-[0-9a-f]{12}/.exec(run.out)![0];

    const common = ["--local", "--persist-to", ws.state, "--binding", "ROUTES"];
    const pointer = parseActivePointer(wrangler("kv", "key", "get", ACTIVE_KEY, ...common));
    expect(pointer.ok && pointer.value.id).toBe(id);
    const record = JSON.parse(wrangler("kv", "key", "get", versionKey(id), ...common)) as { table: unknown };
    expect(record.table).toMatchObject({ routes: [{ id: "a", hostnames: ["a.example.com"] }] });
    const listed = JSON.parse(wrangler("kv", "key", "list", "--prefix", "tables/", ...common)) as {
      name: string;
    }[];
    expect(listed.map((k) => k.name).sort()).toEqual([ACTIVE_KEY, versionKey(id)]);
  }, 120_000);

  it("with --env, both meet in that environment's namespace and the top level stays empty", async () => {
    const config = await ws.file("wrangler.toml", STAGING_WRANGLER_TOML);
    const file = await ws.file("routes.yaml", tableFor("a.example.com"));
    const run = await gatehouse(
      "push",
      file,
      "--config",
      config,
      "--env",
      "staging",
      "--persist-to",
      ws.state,
    );
    expect(run.code).toBe(0);
    const id = /\d{13}-[0-9a-f]{12}/.exec(run.out)![0];

    const common = ["--local", "--persist-to", ws.state, "--binding", "ROUTES", "--config", config];
    const pointer = parseActivePointer(
      wrangler("kv", "key", "get", ACTIVE_KEY, ...common, "--env", "staging"),
    );
    expect(pointer.ok && pointer.value.id).toBe(id);
    expect(wrangler("kv", "key", "get", ACTIVE_KEY, ...common, "--env=").trim()).toBe("Value not found");
  }, 120_000);

  it("the wrangler adapter (as used by --remote) publishes what our CLI then reads", async () => {
    const kv = new WranglerKvStore({ remote: false, local: true, persistTo: ws.state });
    expect(await kv.get(ACTIVE_KEY)).toBeNull();
    const outcome = await publishTable(kv, tableFor("b.example.com"), { publishedBy: "ci" });
    if (outcome.kind !== "published") throw new Error(`expected a publish, got ${outcome.kind}`);
    expect((await listVersions(kv)).versions.map((v) => [v.id, v.active])).toEqual([
      [outcome.version.id, true],
    ]);

    const versions = JSON.parse((await gatehouse("versions", "--persist-to", ws.state, "--json")).out) as {
      active: string;
    };
    expect(versions.active).toBe(outcome.version.id);
  }, 120_000);
});
