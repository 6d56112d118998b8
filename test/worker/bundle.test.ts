/**
 * The Worker bundle stays lean: built exactly as `wrangler deploy` would (dry run, offline, the top-level
 * wrangler.toml), its inputs never include zod or the validator (the CLI validates; the Worker checks
 * what it loads without them: src/store/table-check.ts), and it stays within the gzip budget of
 * docs/benchmarks.md ("Worker bundle size"). The bench reports the figures; this only holds the line.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorkerBundle } from "../../scripts/dry-run-build.ts";

const GZIP_BUDGET_BYTES = 110 * 1024;

let outdir = "";
let inputs: string[] = [];
let gzipBytes = 0;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), "gatehouse-bundle-test-"));
  const bundle = buildWorkerBundle(outdir);
  inputs = Object.keys(bundle.inputs);
  gzipBytes = gzipSync(readFileSync(bundle.file)).byteLength;
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
