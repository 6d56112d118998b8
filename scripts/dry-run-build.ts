/**
 * The Worker bundle exactly as `wrangler deploy` would upload it: wrangler itself in dry-run mode
 * (offline, no account, the top-level wrangler.toml), with esbuild's metafile so callers can see what
 * went into it. Shared by the bundle test (it holds the size line), the bundle bench (it shows where the
 * bytes go) and the end-to-end bench (it runs the bundle in workerd).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = join(root, "node_modules", "wrangler", "bin", "wrangler.js");

interface Metafile {
  outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
}

export interface WorkerBundle {
  /** Absolute path of the bundle's entry module in `outdir`. */
  file: string;
  /** Every input file (paths relative to the project root) and its bytes in the output. */
  inputs: Record<string, { bytesInOutput: number }>;
}

/** Builds into `outdir` (the caller's to create and remove); `extraArgs` go to `wrangler deploy`. */
export function buildWorkerBundle(outdir: string, extraArgs: readonly string[] = []): WorkerBundle {
  const meta = join(outdir, "meta.json");
  const run = spawnSync(
    process.execPath,
    [wrangler, "deploy", "--dry-run", "--env=", "--outdir", outdir, "--metafile", meta, ...extraArgs],
    {
      cwd: root,
      encoding: "utf8",
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        WRANGLER_LOG: "warn",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
      },
    },
  );
  if (run.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${run.stdout}\n${run.stderr}`);
  const metafile = JSON.parse(readFileSync(meta, "utf8")) as Metafile;
  const [file, output] = Object.entries(metafile.outputs).find(([f]) => f.endsWith(".js"))!;
  return { file: join(root, file), inputs: output.inputs };
}
