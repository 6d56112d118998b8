/**
 * `npm run bench -- cli`: the real CLI (`bin/gatehouse.js`, as `npx gatehouse` runs it) on a generated
 * 16,000-route table: `validate`, `explain`, `diff` and `push` against local state in a temporary
 * directory, each in its own process, timed from spawn to exit (wall clock, tsx start-up included)
 * with its peak resident memory (`/usr/bin/time`'s maximum RSS). Target: each under 2 s and 300 MB.
 *
 *   CLI_ROUTES=16000 CLI_RUNS=1 npm run bench -- cli
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateRoutes, prng, routeTableRoutes } from "./support/route-tables.ts";

const ROUTES = Number(process.env.CLI_ROUTES ?? 16_000);
const RUNS = Number(process.env.CLI_RUNS ?? 1);
const TARGET_S = 2;
const TARGET_MB = 300;

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "bin", "gatehouse.js");
const TIME = "/usr/bin/time";

interface Run {
  seconds: number;
  /** CPU time (user + system) of the command's process: what the machine's load does not inflate. */
  cpuSeconds: number;
  maxRssMb: number;
  status: number | null;
  output: string;
}

function run(args: string[]): Run {
  const started = performance.now();
  const measured = existsSync(TIME);
  const command = measured ? TIME : process.execPath;
  const argv = measured ? ["-f", "maxrss-kb %M cpu %U %S", process.execPath, cli, ...args] : [cli, ...args];
  const child = spawnSync(command, argv, {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
  });
  const seconds = (performance.now() - started) / 1000;
  const rss = /maxrss-kb (\d+) cpu ([\d.]+) ([\d.]+)/.exec(child.stderr ?? "");
  return {
    seconds,
    cpuSeconds: rss ? Number(rss[2]) + Number(rss[3]) : Number.NaN,
    maxRssMb: rss ? Number(rss[1]) / 1024 : Number.NaN,
    status: child.status,
    output: `${child.stdout ?? ""}${child.stderr ?? ""}`,
  };
}

function table(count: number, seed: number): { version: 1; clusters: unknown; routes: unknown[] } {
  return {
    version: 1,
    clusters: { origin: { endpoints: [{ url: "http://127.0.0.1:8080" }] } },
    routes: routeTableRoutes(generateRoutes(count, prng(seed)), "origin"),
  };
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-cli-bench-"));
  try {
    const file = join(dir, "routes.json");
    const changed = join(dir, "routes-changed.json");
    writeFileSync(file, JSON.stringify(table(ROUTES, ROUTES)));
    // The same table less 1 % of its routes, for `diff` against the pushed one.
    const second = table(ROUTES, ROUTES);
    second.routes = second.routes.filter((_, i) => i % 100 !== 7);
    writeFileSync(changed, JSON.stringify(second));
    const state = join(dir, "state");
    const local = ["--local", "--persist-to", state];
    const commands: [string, string[]][] = [
      ["validate", ["validate", file]],
      ["explain", ["explain", file, "GET http://svc1.example.com/api/v2/orders0/x"]],
      ["push", ["push", file, ...local, "--message", "bench"]],
      ["diff", ["diff", changed, ...local]],
    ];
    const rows: string[] = [];
    for (const [name, args] of commands) {
      const runs: Run[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(run(args));
      const last = runs[runs.length - 1]!;
      // explain exits 1 for "no match"; diff exits 0 or 1 by design (docs/cli.md); 2 and up is a failure.
      if (last.status === null || last.status > 1) {
        throw new Error(`gatehouse ${name} failed (${last.status}):\n${last.output.slice(0, 4000)}`);
      }
      const seconds = Math.min(...runs.map((r) => r.seconds));
      const mb = Math.min(...runs.map((r) => r.maxRssMb));
      const cpu = Math.min(...runs.map((r) => r.cpuSeconds));
      const met = seconds < TARGET_S && mb < TARGET_MB;
      rows.push(
        `| \`gatehouse ${name}\` | ${seconds.toFixed(2)} | ${cpu.toFixed(2)} | ${mb.toFixed(0)} | ${last.status} | ${met ? "met" : "**missed**"} |`,
      );
    }
    console.log("## CLI on a large table\n");
    console.log(
      `\`bin/gatehouse.js\` on a generated ${ROUTES.toLocaleString("en-US")}-route table (JSON), each command in ` +
        `its own process (tsx start-up included), best of ${RUNS}; push and diff against local state in a ` +
        `temporary directory. Node ${process.version}; load average at the end ${loadavg()
          .map((v) => v.toFixed(2))
          .join(" / ")}. Target: < ${TARGET_S} s and < ${TARGET_MB} MB each.\n`,
    );
    console.log("| command | wall s | CPU s | peak RSS MB | exit | target (wall, RSS) |");
    console.log("|---|---:|---:|---:|---:|---|");
    for (const row of rows) console.log(row);
    console.log("");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
