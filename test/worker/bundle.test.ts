/**
 * The Worker bundle stays lean: built exactly as `wrangler deploy` would (dry run, offline, the top-level
 * wrangler.toml), its inputs never include zod or the validator (the CLI validates; the Worker checks
 * what it loads without them: src/store/table-check.ts), and it stays within the gzip budget of
 * docs/benchmarks.md ("Worker bundle size"). The bench reports the figures; this only holds the line.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const GZIP_BUDGET_BYTES = 60 * 1024;
const root = join(import.meta.dirname, "..", "..");

interface Metafile {
  outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
}

let outdir = "";
let inputs: string[] = [];
let gzipBytes = 0;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), "gatehouse-bundle-test-"));
  const meta = join(outdir, "meta.json");
  const run = spawnSync(
    process.execPath,
    [
      join(root, "node_modules", "wrangler", "bin", "wrangler.js"),
      ...["deploy", "--dry-run", "--env=", "--outdir", outdir, "--metafile", meta],
    ],
    {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_LOG: "warn" },
    },
  );
  if (run.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${run.stdout}\n${run.stderr}`);
  const metafile = JSON.parse(readFileSync(meta, "utf8")) as Metafile;
  const [file, output] = Object.entries(metafile.outputs).find(([f]) => f.endsWith(".js"))!;
  inputs = Object.keys(output.inputs);
  gzipBytes = gzipSync(readFileSync(join(root, file))).byteLength;
});

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe("the Worker bundle", () => {
  it("does not contain zod, the schema or the validator", () => {
    expect(inputs.length).toBeGreaterThan(20);
    expect(inputs.some((path) => path.startsWith("src/worker/"))).toBe(true);
    const forbidden = inputs.filter(
      (path) =>
        path.includes("node_modules/zod/") ||
        /^src\/config\/(schema|validate|zod-problems|salvage|json-schema)\.ts$/.test(path),
    );
    expect(forbidden, "import constants from src/config/constants.ts and types with `import type`").toEqual(
      [],
    );
  });

  it(`stays within ${GZIP_BUDGET_BYTES / 1024} KiB gzip, as uploaded`, () => {
    expect(gzipBytes).toBeLessThanOrEqual(GZIP_BUDGET_BYTES);
  });
});
