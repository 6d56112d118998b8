/** Running `gatehouse` in-process against local KV state in a temporary directory. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { main } from "../../src/cli/main.ts";

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export async function gatehouse(...args: string[]): Promise<CliRun> {
  let out = "";
  let err = "";
  const code = await main(args, {
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
  });
  return { code, out, err };
}

export interface Workspace {
  dir: string;
  /** `--persist-to` for this workspace's local KV state. */
  state: string;
  /** Write `table` as YAML (or text as given) to `name` in the workspace; returns its path. */
  file(name: string, table: unknown): Promise<string>;
  remove(): Promise<void>;
}

export async function workspace(): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-cli-"));
  return {
    dir,
    state: join(dir, "state"),
    async file(name, table) {
      const path = join(dir, name);
      await writeFile(path, typeof table === "string" ? table : stringify(table), "utf8");
      return path;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A wrangler.toml whose top level and `[env.staging]` each bind their own ROUTES namespace (for --env). */
export const STAGING_WRANGLER_TOML = [
  'name = "x"',
  'main = "w.js"',
  'compatibility_date = "2026-11-01"',
  "[[kv_namespaces]]",
  'binding = "ROUTES"',
  "[env.staging]",
  'kv_namespaces = [{ binding = "ROUTES", id = "staging-routes" }]',
  "",
].join("\n");
