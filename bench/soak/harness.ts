/**
 * The soak suite's moving parts: origin pods in processes of their own (so one can be SIGKILLed), the
 * Gatehouse Worker in workerd through Miniflare's API with its `ROUTES` namespace persisted where
 * `gatehouse push --local --persist-to DIR` writes, the CLI itself for pushes, and what is measured of
 * workerd from outside (CPU and memory from /proc, the isolate's heap over the inspector, the access
 * log it writes).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import type { StatusDocument } from "../../src/admin/status.ts";
import { main as gatehouse } from "../../src/cli/main.ts";
import { type KvStore, kvStoreFromNamespace } from "../../src/store/kv-store.ts";
import { connectInspector, type InspectorSession } from "../support/inspector-profile.ts";
import { childPids } from "../support/process-cpu.ts";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const SOAK_HOST = "soak.gatehouse.test";
export const ADMIN_HOST = "admin.soak.test";
const ADMIN_TOKEN = "soak-admin-token";
const COMPATIBILITY_DATE = "2026-11-01";

// ---------------------------------------------------------------------------------------------------
// Pods

export interface PodProcess {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  running(): boolean;
  /** SIGKILL: no close frames, no FIN beyond what the kernel sends for a dead process. */
  kill(): void;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  /** Answer every HTTP request `ms` late from now on (0: on time again). */
  setDelay(ms: number): void;
  stop(): void;
}

export async function startPod(name: string): Promise<PodProcess> {
  let child: ChildProcess | undefined;
  let port = 0;
  const launch = async () => {
    const launched = spawn(
      process.execPath,
      ["--import", "tsx", join(root, "bench", "soak", "pod-process.ts"), name, String(port)],
      // stdin is a pipe so the pod can see this process go away, however it goes.
      { cwd: root, stdio: ["pipe", "pipe", "inherit"] },
    );
    port = await new Promise<number>((resolve, reject) => {
      launched.once("exit", (code) => reject(new Error(`pod ${name} exited (${code}) before listening`)));
      launched.stdout!.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    });
    launched.removeAllListeners("exit");
    child = launched;
  };
  await launch();
  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  return {
    name,
    get port() {
      return port;
    },
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    running: alive,
    kill() {
      child?.kill("SIGKILL");
    },
    async restart() {
      if (alive()) return;
      await launch();
    },
    setDelay(ms) {
      child?.stdin?.write(`${JSON.stringify({ delayMs: ms })}\n`);
    },
    stop() {
      if (alive()) child!.kill("SIGTERM");
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// The gateway

/** What the Worker's access log said over a span of the run (one JSON line per request). */
export interface AccessTally {
  requests: number;
  byStatus: Record<string, number>;
  /** Attempts beyond the first, summed. */
  retries: number;
  /** The gateway's own error codes (`upstream_timeout`, …). */
  errors: Record<string, number>;
  /** Requests by the endpoint of their last attempt. */
  byEndpoint: Record<string, number>;
  /** Requests whose first attempt went to an endpoint that did not serve them. */
  sessions: Record<string, number>;
}

function emptyTally(): AccessTally {
  return { requests: 0, byStatus: {}, retries: 0, errors: {}, byEndpoint: {}, sessions: {} };
}

function bump(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

export interface Gateway {
  readonly port: number;
  /** workerd's pid: its CPU, memory and open files are read from /proc. */
  readonly pid: number | undefined;
  /** After a crash: the port and pid of the workerd Miniflare started in its place. */
  reattach(): Promise<void>;
  /** The namespace the Worker reads, from Node (the same persisted store the CLI writes). */
  readonly kv: KvStore;
  /** The access log since the last call (and restarts the tally). */
  /**
   * What the access log said about the routes `routes` accepts since they were last taken (and starts
   * their tally again): by route, so that scenarios on different routes can run side by side.
   */
  takeAccessTally(routes?: (route: string) => boolean): AccessTally;
  /** The last 200 lines workerd wrote other than access lines (table loads, errors, a crash). */
  readonly otherLogLines: string[];
  /** When workerd crashed (and Miniflare started a new one). */
  readonly restarts: Date[];
  status(): Promise<StatusDocument>;
  /**
   * The Worker isolate's V8 heap in use, in bytes. With `settled`, the least of five readings over a
   * second: workerd's inspector does not answer `HeapProfiler.collectGarbage`, so garbage not yet
   * collected is left out this way, as far as it can be.
   */
  heapUsed(settled: boolean): Promise<number>;
  dispose(): Promise<void>;
}

export interface GatewayOptions {
  bundle: string;
  /** Persist root, as `gatehouse push --persist-to` takes it: KV lives in `<dir>/v3/kv`. */
  persistTo: string;
  refreshSeconds: number;
  inspectorPort: number;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const tallies = new Map<string, AccessTally>();
  const otherLogLines: string[] = [];
  const restarts: Date[] = [];
  let inspector: InspectorSession | undefined;
  const before = childPids("workerd");
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      inspectorPort: options.inspectorPort,
      telemetry: { enabled: false },
      logRequests: false,
      cf: { colo: "LHR", country: "GB", httpProtocol: "HTTP/1.1", tlsVersion: "TLSv1.3" },
      handleStructuredLogs: ({ message }: { message: string }) => {
        if (!message.startsWith('{"type":"access"')) {
          // The last lines are the ones that say why, if workerd crashes.
          otherLogLines.push(message);
          if (otherLogLines.length > 200) otherLogLines.shift();
          return;
        }
        const line = JSON.parse(message) as {
          route?: string;
          status: number;
          attempts?: number;
          error?: string;
          endpoint?: string;
          session?: string;
        };
        const route = line.route ?? "";
        const tally = tallies.get(route) ?? emptyTally();
        tallies.set(route, tally);
        tally.requests++;
        bump(tally.byStatus, String(line.status));
        tally.retries += Math.max(0, (line.attempts ?? 1) - 1);
        if (line.error) bump(tally.errors, line.error);
        if (line.endpoint) bump(tally.byEndpoint, line.endpoint);
        if (line.session) bump(tally.sessions, line.session);
      },
      // Miniflare starts a new workerd when the one it ran exits unexpectedly: for the suite, that is
      // a crash (every session gone), to be reported, never papered over.
      unsafeHandleRuntimeRestart: () => {
        restarts.push(new Date());
        inspector?.close();
        inspector = undefined;
      },
      compatibilityDate: COMPATIBILITY_DATE,
      compatibilityFlags: ["nodejs_compat"],
      modules: true,
      scriptPath: options.bundle,
      modulesRoot: dirname(options.bundle),
      // The namespace `gatehouse push --local --persist-to DIR` writes: the same root (`<DIR>/v3`),
      // the same namespace id (the binding name, as our wrangler.toml gives no id).
      resourcePersistencePath: join(options.persistTo, "v3"),
      kvNamespaces: { ROUTES: "ROUTES" },
      bindings: {
        ROUTES_REFRESH_SECONDS: String(options.refreshSeconds),
        ADMIN_HOSTNAME: ADMIN_HOST,
        ADMIN_TOKEN,
        SESSION_SECRET: "soak-session-secret-soak-session-secret",
      },
    }),
  );
  const listening = async () => Number((await mf.ready).port);
  let port = await listening();
  let pid = [...childPids("workerd")].find((p) => !before.has(p));
  let kv = kvStoreFromNamespace((await mf.getKVNamespace("ROUTES")) as unknown as KVNamespace);
  return {
    get port() {
      return port;
    },
    get pid() {
      return pid;
    },
    get kv() {
      return kv;
    },
    async reattach() {
      port = await listening();
      pid = [...childPids("workerd")].find((p) => !before.has(p));
      kv = kvStoreFromNamespace((await mf.getKVNamespace("ROUTES")) as unknown as KVNamespace);
    },
    otherLogLines,
    restarts,
    takeAccessTally(routes = () => true) {
      const taken = emptyTally();
      for (const [route, tally] of tallies) {
        if (!routes(route)) continue;
        tallies.delete(route);
        taken.requests += tally.requests;
        taken.retries += tally.retries;
        for (const key of ["byStatus", "errors", "byEndpoint", "sessions"] as const) {
          for (const [k, n] of Object.entries(tally[key])) bump(taken[key], k, n);
        }
      }
      return taken;
    },
    async status() {
      const answer = await get(port, "/status", {
        host: ADMIN_HOST,
        authorization: `Bearer ${ADMIN_TOKEN}`,
      });
      if (answer.status !== 200) throw new Error(`status surface answered ${answer.status}: ${answer.body}`);
      return JSON.parse(answer.body) as StatusDocument;
    },
    async heapUsed(settled) {
      // The Worker's own isolate (`core:user:`): Miniflare's entry and KV Workers have their own.
      inspector ??= await connectInspector(options.inspectorPort, "core:user:");
      let least = Number.POSITIVE_INFINITY;
      for (let i = 0; i < (settled ? 5 : 1); i++) {
        if (i > 0) await sleep(200);
        const usage = (await inspector.call("Runtime.getHeapUsage")) as { usedSize: number };
        least = Math.min(least, usage.usedSize);
      }
      return least;
    },
    async dispose() {
      inspector?.close();
      await mf.dispose();
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// The CLI

/**
 * `gatehouse push FILE --local --persist-to DIR`: the CLI's own entry point (the one `bin/gatehouse.js`
 * calls) with the arguments an operator would type, run in this process so that a push costs the
 * command's work, not a new Node and a TypeScript transpile. It opens the local namespace as it always
 * does (its own Miniflare over the same persisted store). Output is kept, not printed; a push that
 * fails throws with it.
 */
export async function pushWithCli(persistTo: string, file: string, message: string): Promise<void> {
  const output: string[] = [];
  const io = { stdout: (text: string) => output.push(text), stderr: (text: string) => output.push(text) };
  const code = await gatehouse(
    [
      "push",
      file,
      "--local",
      "--config",
      join(root, "wrangler.toml"),
      "--persist-to",
      persistTo,
      "--message",
      message,
    ],
    io,
  );
  if (code !== 0) throw new Error(`gatehouse push exited ${code}:\n${output.join("")}`);
}

// ---------------------------------------------------------------------------------------------------
// One request

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
}

/** One GET on a connection of its own; `timeoutMs` bounds it (a hang is an error, not a wait). */
export function get(
  port: number,
  path: string,
  headers: Record<string, string>,
  timeoutMs = 30_000,
): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: performance.now() - started }),
      );
      res.on("error", reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer to GET ${path} in ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

// ---------------------------------------------------------------------------------------------------
// Figures

/** Latencies in 0.1 ms buckets up to 60 s: constant memory however many samples. */
export class Histogram {
  private readonly buckets = new Uint32Array(600_001);
  count = 0;

  record(ms: number): void {
    this.buckets[Math.min(this.buckets.length - 1, Math.max(0, Math.round(ms * 10)))]!++;
    this.count++;
  }

  /** The `q` quantile (0–1) in ms; NaN with no samples. */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= rank) return i / 10;
    }
    return Number.NaN;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
