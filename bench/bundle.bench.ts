/**
 * The Worker bundle as `wrangler deploy` would upload it: raw and gzip size against the target, and what
 * it is made of. Builds with wrangler itself (`deploy --dry-run`, offline, no account), so the figures are
 * exactly the deploy's; the metafile names every input's bytes in the output. `test/worker/bundle.test.ts`
 * holds the line (no zod, within target); this shows where the bytes go.
 *
 *   npm run bench -- bundle
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { buildWorkerBundle } from "../scripts/dry-run-build.ts";

const TARGET_GZIP_BYTES = 100 * 1024;

interface Build {
  raw: number;
  /** As wrangler measures it: zlib gzip at its default level. */
  gzip: number;
  inputs: Record<string, { bytesInOutput: number }>;
}

function build(extraArgs: string[]): Build {
  const outdir = mkdtempSync(join(tmpdir(), "gatehouse-bundle-"));
  try {
    const bundle = buildWorkerBundle(outdir, extraArgs);
    const code = readFileSync(bundle.file);
    return { raw: code.byteLength, gzip: gzipSync(code).byteLength, inputs: bundle.inputs };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** `node_modules/zod/v4/core/api.js` → `zod`; `src/routing/match.ts` → `src/routing`. */
function owner(path: string): string {
  const at = path.lastIndexOf("node_modules/");
  if (at >= 0) {
    const parts = path.slice(at + "node_modules/".length).split("/");
    return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const src = /^src\/([^/]+)\//.exec(path);
  if (src) return `src/${src[1]}`;
  return "wrangler shims";
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const share = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)} %`;

const deployed = build([]);
const unminified = build(["--no-minify"]);
const within = (b: Build) => (b.gzip <= TARGET_GZIP_BYTES ? "within target" : "**over target**");
const validatorBytes = Object.entries(deployed.inputs)
  .filter(([path]) => path.includes("node_modules/zod/") || /^src\/config\/(schema|validate)\.ts$/.test(path))
  .reduce((n, [, { bytesInOutput }]) => n + bytesInOutput, 0);
const tableCheckBytes = Object.entries(deployed.inputs)
  .filter(([path]) => /^src\/store\/table-(check|shape)\./.test(path))
  .reduce((n, [, { bytesInOutput }]) => n + bytesInOutput, 0);

const groups = new Map<string, number>();
for (const [path, { bytesInOutput }] of Object.entries(deployed.inputs)) {
  groups.set(owner(path), (groups.get(owner(path)) ?? 0) + bytesInOutput);
}
const files = Object.entries(deployed.inputs)
  .map(([path, { bytesInOutput }]) => ({ path, bytes: bytesInOutput }))
  .sort((a, b) => b.bytes - a.bytes);

const lines = [
  "## Worker bundle size",
  "",
  `Built by \`wrangler deploy --dry-run\` (wrangler.toml as deployed). Target: ≤ ${kib(TARGET_GZIP_BYTES)} gzip.`,
  "",
  "| build | raw | gzip | |",
  "|---|---:|---:|---|",
  `| as deployed (\`minify = true\`) | ${kib(deployed.raw)} | ${kib(deployed.gzip)} | ${within(deployed)} |`,
  `| \`--no-minify\` | ${kib(unminified.raw)} | ${kib(unminified.gzip)} | ${within(unminified)} |`,
  "",
  `zod, schema.ts and validate.ts in the deployed bundle: ${kib(validatorBytes)}. The Worker's own table`,
  `check (src/store/table-check.ts, table-shape.ts and the shape JSON): ${kib(tableCheckBytes)} minified.`,
  "",
  "Biggest contributors (bytes in the deployed, minified output, by package or source directory):",
  "",
  "| part | bytes | share |",
  "|---|---:|---:|",
  ...[...groups.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([name, bytes]) => `| ${name} | ${kib(bytes)} | ${share(bytes, deployed.raw)} |`),
  "",
  "Biggest single files:",
  "",
  "| file | bytes |",
  "|---|---:|",
  ...files.slice(0, 10).map((f) => `| \`${f.path}\` | ${kib(f.bytes)} |`),
  "",
];
console.log(lines.join("\n"));
