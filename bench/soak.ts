/**
 * `npm run soak`: live sessions under load and faults (docs/reliability.md). The real Worker bundle in
 * workerd through Miniflare's API, in front of three origin pods (each its own process) on 127.0.0.1,
 * with real clients: `ws` WebSockets, SSE readers, HTTP with keep-alive. Seven scenarios, run one after
 * another on the same gateway; a scenario that loses anything fails the run (exit code 1).
 *
 *   npm run soak                      the full run (ramp to 10,000 sockets); prints the report
 *   npm run soak -- --short           the CI form: a few hundred sockets, a few pushes, under 3 minutes
 *   npm run soak -- --write           the full run, and its figures into docs/reliability.md
 *   npm run soak -- --json FILE       also the results as JSON (the CI test reads them)
 *   npm run soak -- --only 1,7        only some scenarios
 *
 * Bounded in count and time: every scenario has a fixed length, the ramp stops at its first failure,
 * at 128 MB of isolate heap, at 10,000 sockets or at its time cap, and everything started is stopped at
 * the end, also on failure or Ctrl-C. Open files: the limit is whatever the shell gives (`ulimit -n`);
 * it is not raised here, and the ramp reports workerd's open files against it at every step.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildWorkerBundle } from "../scripts/dry-run-build.ts";
import { get, type PodProcess, root, SOAK_HOST, sleep, startGateway, startPod } from "./soak/harness.ts";
import { renderReport } from "./soak/report.ts";
import {
  badTableScenario,
  jwksOutageScenario,
  memoryScenario,
  podKilledScenario,
  pushTable,
  rampScenario,
  routeChangeScenario,
  SCALES,
  type ScenarioResult,
  type SoakContext,
  slowPodScenario,
  startJwksServer,
} from "./soak/scenarios.ts";
import { stopOnExit } from "./support/cleanup.ts";
import { openFileLimit } from "./support/process-memory.ts";

const { values } = parseArgs({
  options: {
    short: { type: "boolean" },
    write: { type: "boolean" },
    json: { type: "string" },
    only: { type: "string" },
    quiet: { type: "boolean" },
  },
});
const scale = SCALES[values.short ? "short" : "full"];
const only = values.only?.split(",").map(Number);
const REFRESH_SECONDS = 2;
const SCENARIOS: [number, (ctx: SoakContext) => Promise<ScenarioResult>][] = [
  // Memory first: its baseline is then a workerd that has served nothing else.
  [7, memoryScenario],
  [1, rampScenario],
  [2, routeChangeScenario],
  [3, podKilledScenario],
  [4, slowPodScenario],
  [5, jwksOutageScenario],
  [6, badTableScenario],
];

const t0 = performance.now();
function say(text: string): void {
  const at = ((performance.now() - t0) / 1000).toFixed(0).padStart(4);
  if (!values.quiet) process.stderr.write(`soak ${at} s: ${text}\n`);
}

async function main(): Promise<number> {
  const started = new Date();
  // Ctrl-C must not leave an origin, a pod or a workerd behind.
  const { stops, stopAll } = stopOnExit();
  const workDir = mkdtempSync(join(tmpdir(), "gatehouse-soak-"));
  stops.push(() => rmSync(workDir, { recursive: true, force: true }));
  try {
    say(`${scale.name} run: building the Worker bundle`);
    const bundle = buildWorkerBundle(join(workDir, "bundle")).file;
    const pods: PodProcess[] = [];
    for (const name of ["pod-a", "pod-b", "pod-c"]) {
      const pod = await startPod(name);
      pods.push(pod);
      stops.push(() => pod.stop());
    }
    const jwks = await startJwksServer();
    stops.push(() => jwks.close());
    const persistTo = join(workDir, "state");
    const gateway = await startGateway({
      bundle,
      persistTo,
      refreshSeconds: REFRESH_SECONDS,
      inspectorPort: 9400 + (process.pid % 500),
    });
    stops.push(() => gateway.dispose());
    const ctx: SoakContext = {
      scale,
      gateway,
      pods,
      persistTo,
      workDir,
      jwks,
      push: 0,
      refreshSeconds: REFRESH_SECONDS,
      say,
    };
    say("pushing the first table");
    await pushTable(ctx, 1);
    const first = await get(gateway.port, "/session-other/x", { host: SOAK_HOST });
    if (first.status !== 200)
      throw new Error(`the gateway did not serve the pushed table: ${first.status} ${first.body}`);

    const results: ScenarioResult[] = [];
    const finished = (r: ScenarioResult) => {
      results.push(r);
      const failed = r.checks.filter((c) => !c.ok).map((c) => `${c.what}: ${c.detail}`);
      say(`scenario ${r.id}: ${r.passed ? "pass" : `FAIL (${failed.join("; ")})`}`);
    };
    // Scenario 5 mostly waits (the key set's 30 s of least freshness): it runs on a route of its own
    // alongside the scenarios after it, and is reported in its place.
    const alongside: Promise<void>[] = [];
    for (const [id, run] of SCENARIOS) {
      if (only && !only.includes(id)) continue;
      say(`scenario ${id}…`);
      if (id === 5) {
        alongside.push(run(ctx).then(finished));
        continue;
      }
      finished(await run(ctx));
      if (scale.name === "full") await sleep(1000);
    }
    await Promise.all(alongside);
    results.sort((a, b) => a.id - b.id);
    const header =
      `${scale.name === "full" ? "Full run" : "Short (CI) run"} of ${started.toISOString().slice(0, 16).replace("T", " ")} UTC, ` +
      `${((Date.now() - started.getTime()) / 60_000).toFixed(1)} min: ${cpus().length} × ${cpus()[0]?.model.trim() ?? "cpu"}, ` +
      `${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, workerd via Miniflare ${miniflareVersion()}, ` +
      `open files limit ${openFileLimit(process.pid)}, load average at the end ${loadavg()
        .map((v) => v.toFixed(2))
        .join(" / ")} ` +
      `(the machine is shared). Route refresh interval ${REFRESH_SECONDS} s.`;
    const report = renderReport(results, header);
    if (!values.quiet) process.stdout.write(report);
    if (values.json) writeFileSync(values.json, JSON.stringify({ scale: scale.name, results }, null, 2));
    if (values.write) writeIntoDocs(report);
    return results.every((r) => r.passed) ? 0 : 1;
  } finally {
    await stopAll();
  }
}

function writeIntoDocs(report: string): void {
  const file = join(root, "docs", "reliability.md");
  const text = readFileSync(file, "utf8");
  const begin = "<!-- soak:begin -->";
  const end = "<!-- soak:end -->";
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < 0) throw new Error(`${file} has no ${begin} … ${end} section`);
  writeFileSync(file, `${text.slice(0, from + begin.length)}\n${report}${text.slice(to)}`);
}

function miniflareVersion(): string {
  return (
    JSON.parse(readFileSync(join(root, "node_modules", "miniflare", "package.json"), "utf8")) as {
      version: string;
    }
  ).version;
}

process.exitCode = await main();
