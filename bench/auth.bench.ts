/**
 * `npm run bench -- auth`: what the auth stage costs per request, cold (a token seen for the first
 * time: signature check) and warm (the same token again: the verified-token cache), for RS256, ES256,
 * EdDSA and HS256, with keys generated and tokens signed by jose. The code timed is the pipeline's own
 * `authenticate` on a rule compiled from a table (bench/support/auth-cases.ts), in two runtimes:
 *
 *   - Node (its WebCrypto is OpenSSL through Node's own bindings), timed in-process;
 *   - workerd through Miniflare (BoringSSL through workerd's WebCrypto, the runtime that serves
 *     production traffic), timed from outside over loopback because workerd's clocks do not advance
 *     while a request computes: a call of N passes minus an empty call, divided by N.
 *
 * Each figure is the median of several windows. "set-up" is building the request, URL and upstream
 * draft the way the pipeline does, without auth; it is subtracted so the rows are the auth stage alone.
 *
 *   AUTH_ALGORITHMS=ES256,HS256 AUTH_WORKERD=0 npm run bench -- auth
 */
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import {
  ALGORITHMS,
  type AuthCase,
  type BenchAlgorithm,
  type Mode,
  prepareAuthCase,
  runPasses,
} from "./support/auth-cases.ts";

const only = process.env.AUTH_ALGORITHMS?.split(",");
const algorithms = ALGORITHMS.filter((a) => only === undefined || only.includes(a));
const IN_WORKERD = process.env.AUTH_WORKERD !== "0";
const TARGET_WARM_US = 20;

const COLD_WARM_UP = 100;
const COLD_WINDOWS = 3;
const COLD_PER_WINDOW = 200;
const COLD_TOKENS = COLD_WARM_UP + COLD_WINDOWS * COLD_PER_WINDOW;
const WARM_WARM_UP = 3000;
const WARM_WINDOWS = 5;
const WARM_PER_WINDOW = 5000;

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Microseconds per pass: the median window. `window(mode, n, offset)` runs and times one window. */
async function measure(
  window: (mode: Mode, count: number, offset: number) => Promise<number>,
): Promise<Record<Mode, number>> {
  await window("cold", COLD_WARM_UP, 0);
  const cold: number[] = [];
  for (let w = 0; w < COLD_WINDOWS; w++) {
    cold.push(await window("cold", COLD_PER_WINDOW, COLD_WARM_UP + w * COLD_PER_WINDOW));
  }
  const result = { cold: median(cold) } as Record<Mode, number>;
  for (const mode of ["warm", "setup"] as const) {
    await window(mode, WARM_WARM_UP, 0);
    const times: number[] = [];
    for (let w = 0; w < WARM_WINDOWS; w++) times.push(await window(mode, WARM_PER_WINDOW, 0));
    result[mode] = median(times);
  }
  return result;
}

async function inNode(c: AuthCase): Promise<Record<Mode, number>> {
  return measure(async (mode, count, offset) => {
    const started = performance.now();
    await runPasses(c, mode, count, offset);
    return ((performance.now() - started) * 1000) / count;
  });
}

async function startWorkerd(): Promise<Miniflare> {
  const bundled = await build({
    entryPoints: [join(root, "bench", "support", "auth-worker.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    logLevel: "warning",
  });
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      telemetry: { enabled: false },
      logRequests: false,
      cf: { colo: "LHR" },
      compatibilityDate: "2026-11-01",
      compatibilityFlags: ["nodejs_compat"],
      modules: true,
      script: bundled.outputFiles[0]!.text,
    }),
  );
  await mf.ready;
  return mf;
}

async function inWorkerd(base: URL, algorithm: BenchAlgorithm): Promise<Record<Mode, number>> {
  const call = async (query: string) => {
    const started = performance.now();
    const response = await fetch(new URL(`/run?alg=${algorithm}&${query}`, base));
    const body = await response.text();
    if (!response.ok) throw new Error(`workerd ${algorithm}: ${body}`);
    return performance.now() - started;
  };
  const prepared = await fetch(new URL(`/prepare?alg=${algorithm}&cold=${COLD_TOKENS}`, base));
  if (!prepared.ok) throw new Error(`workerd ${algorithm}: ${await prepared.text()}`);
  const empty: number[] = [];
  for (let i = 0; i < 30; i++) empty.push(await call("n=0"));
  const emptyMs = median(empty);
  return measure(async (mode, count, offset) => {
    const ms = await call(`mode=${mode}&n=${count}&offset=${offset}`);
    return (Math.max(0, ms - emptyMs) * 1000) / count;
  });
}

const format = (us: number) => (us < 10 ? us.toFixed(2) : us.toFixed(1));

async function main(): Promise<void> {
  const load0 = loadavg();
  const node = new Map<BenchAlgorithm, Record<Mode, number>>();
  for (const algorithm of algorithms)
    node.set(algorithm, await inNode(await prepareAuthCase(algorithm, COLD_TOKENS)));

  const workerd = new Map<BenchAlgorithm, Record<Mode, number>>();
  if (IN_WORKERD) {
    const mf = await startWorkerd();
    try {
      const base = await mf.ready;
      for (const algorithm of algorithms) workerd.set(algorithm, await inWorkerd(base, algorithm));
    } finally {
      await mf.dispose();
    }
  }
  const load1 = loadavg();

  console.log("## Token verification\n");
  console.log(
    `The auth stage (\`authenticate\`) per request, in µs, set-up subtracted; cold = first sight of a ` +
      `token (signature check), warm = the same token again (verified-token cache). Node ${process.version}; ` +
      `workerd through Miniflare${IN_WORKERD ? "" : " (not run)"}. Load average (1/5/15 min) before: ` +
      `${load0.map((v) => v.toFixed(2)).join(" / ")}, after: ${load1.map((v) => v.toFixed(2)).join(" / ")}.\n`,
  );
  console.log(
    `| algorithm | Node cold | Node warm | workerd cold | workerd warm | warm ≤ ${TARGET_WARM_US} µs (${IN_WORKERD ? "workerd" : "Node"}) |`,
  );
  console.log("|---|---:|---:|---:|---:|---|");
  const auth = (m: Record<Mode, number> | undefined, mode: "cold" | "warm") =>
    m === undefined ? "–" : format(Math.max(0, m[mode] - m.setup));
  for (const algorithm of algorithms) {
    const n = node.get(algorithm)!;
    const w = workerd.get(algorithm);
    // The target is the production runtime's; Node's figure only when workerd was not run.
    const warm = w ? w.warm - w.setup : n.warm - n.setup;
    console.log(
      `| ${algorithm} | ${auth(n, "cold")} | ${auth(n, "warm")} | ${auth(w, "cold")} | ${auth(w, "warm")} | ` +
        `${warm <= TARGET_WARM_US ? "met" : "**missed**"} |`,
    );
  }
  const setup = (m: Map<BenchAlgorithm, Record<Mode, number>>) =>
    m.size === 0 ? "–" : format(median([...m.values()].map((v) => v.setup)));
  console.log(`| (set-up, subtracted above) | ${setup(node)} | | ${setup(workerd)} | | |`);
  console.log("");
}

await main();
