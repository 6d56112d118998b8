/**
 * `npm run bench`: every `bench/*.bench.ts` in turn, each in its own process so one suite's warm-up or
 * leftover servers never colour another's figures. Each suite prints Markdown; docs/benchmarks.md
 * collects the figures with the machine they were taken on.
 *
 *   npm run bench                 all suites
 *   npm run bench -- matcher auth only suites whose file name contains one of the words
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
/** The issues' order (routing, data path, auth); any other suite after them, by name. */
const ORDER = ["matcher", "e2e", "auth", "bundle"];
const rank = (file: string) => {
  const at = ORDER.findIndex((name) => file.startsWith(`${name}.`));
  return at === -1 ? ORDER.length : at;
};
const suites = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));

console.log(
  `# Gatehouse benchmarks\n\n${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ` +
    `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, load average ${loadavg()
      .map((v) => v.toFixed(2))
      .join(" / ")}\n`,
);
let failed = 0;
for (const suite of suites) {
  const run = spawnSync(process.execPath, ["--import", "tsx", join(here, suite)], { stdio: "inherit" });
  if (run.status !== 0) {
    failed++;
    console.error(`suite ${suite} failed (exit ${run.status})`);
  }
}
process.exit(failed === 0 ? 0 : 1);
