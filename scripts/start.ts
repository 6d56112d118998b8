/**
 * `npm start`: the local demo, offline and without an account.
 *
 *   1. one origin pod (scripts/origin-pod.ts) for every loopback endpoint of examples/routes.yaml, on the
 *      port and under the name the table gives it: the table is the single source of the demo's layout;
 *   2. `gatehouse push examples/routes.yaml --local` through the CLI's own code, into the local KV state
 *      that `wrangler dev` reads (.wrangler/state);
 *   3. `wrangler dev --local` with the demo secrets and the demo's admin host as `--var`s (nothing is
 *      written to .dev.vars; wrangler.toml's own vars are the production ones);
 *   4. once the gateway answers, the lines to try (docs/demo.md explains each).
 *
 * Arguments after `npm start --` go to `wrangler dev` as they are; with `--local-protocol https` the lines
 * to try use https (wrangler's self-signed certificate, hence `curl -k`).
 *
 * Ctrl-C (SIGINT) or SIGTERM stops wrangler (its whole process group, workerd included) and the pods.
 * `GATEHOUSE_DEMO_PORT` moves the gateway off 8787 when that port is taken.
 */
import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import https from "node:https";
import { fileURLToPath } from "node:url";
import { SignJWT } from "jose";
import { CliInputError } from "../src/cli/command.ts";
import { loadRouteTableFile } from "../src/cli/load-table.ts";
import { main as gatehouse } from "../src/cli/main.ts";
import type { RouteTable } from "../src/config/schema.ts";
import { isLoopbackHost } from "../src/transport/loopback.ts";
import { type OriginPod, startOriginPod } from "./origin-pod.ts";

const TABLE = "examples/routes.yaml";
const PORT = Number(process.env.GATEHOUSE_DEMO_PORT ?? 8787);
const READY_TIMEOUT_MS = 60_000;
const WRANGLER_ARGS = process.argv.slice(2);
const TLS = localProtocol(WRANGLER_ARGS) === "https";

/**
 * Demo values for the Worker's secrets. They protect nothing but the demo on loopback; the deploy guide
 * (docs/deploy.md) says how real ones are set.
 */
const DEMO_SECRETS: Record<string, string> = {
  SESSION_SECRET: "demo-session-secret-0123456789abcdef",
  ADMIN_TOKEN: "demo-admin-token",
  DEMO_JWT_SECRET: "demo-secret-0123456789abcdef0123456789",
};

/** The demo's admin host, over wrangler.toml's production value (which names the operator's domain). */
const DEMO_VARS: Record<string, string> = { ADMIN_HOSTNAME: "gatehouse.localhost" };

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const wranglerBin = fileURLToPath(new URL("../node_modules/wrangler/bin/wrangler.js", import.meta.url));

const pods: OriginPod[] = [];
let wrangler: ChildProcess | undefined;
let stopping = false;

async function run(): Promise<void> {
  process.chdir(repoRoot);
  const { table } = await loadRouteTableFile(TABLE).catch((error: unknown) => {
    throw new Error(error instanceof CliInputError ? error.lines.join("\n") : String(error));
  });

  for (const { name, port } of demoPods(table)) pods.push(await startPod(name, port));
  say(`pods: ${pods.map((p) => `${p.name} ${p.url}`).join(", ")}`);

  const pushed = await gatehouse(["push", TABLE, "--local"]);
  if (pushed !== 0) throw new Error(`gatehouse push ${TABLE} --local exited with ${pushed}`);

  wrangler = startWrangler();
  wrangler.once("exit", (code, signal) => {
    if (stopping) return;
    say(`wrangler dev exited (${signal ?? `code ${code}`}); stopping the pods`);
    void shutdown(code ?? 1);
  });
  await waitForGateway();
  say(tryLines(await demoToken(table)));
}

/** Every loopback endpoint of the table, once per port, named as the table names it. */
function demoPods(table: RouteTable): { name: string; port: number }[] {
  const byPort = new Map<number, string>();
  for (const cluster of Object.values(table.clusters)) {
    for (const endpoint of cluster.endpoints) {
      const url = new URL(endpoint.url);
      if (url.protocol !== "http:" || !isLoopbackHost(url.hostname)) continue;
      const port = Number(url.port || 80);
      if (!byPort.has(port)) byPort.set(port, endpoint.name ?? `pod-${port}`);
    }
  }
  return [...byPort].map(([port, name]) => ({ name, port }));
}

async function startPod(name: string, port: number): Promise<OriginPod> {
  try {
    return await startOriginPod(name, port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new Error(`port ${port} (${name} in ${TABLE}) is in use: is another \`npm start\` running?`);
    }
    throw error;
  }
}

function startWrangler(): ChildProcess {
  const vars = Object.entries({ ...DEMO_SECRETS, ...DEMO_VARS }).flatMap(([name, value]) => [
    "--var",
    `${name}:${value}`,
  ]);
  const args = [wranglerBin, "dev", "--local", "--ip", "127.0.0.1", "--port", String(PORT), ...vars];
  // The requests keep the host they were sent to (api.localhost), even once wrangler.toml lists the
  // production routes, which wrangler dev would otherwise take as every local request's origin.
  args.push("--infer-origin-from-routes=false");
  args.push("--show-interactive-dev-session=false", ...WRANGLER_ARGS);
  // Its own process group (detached), so that shutdown can stop wrangler and workerd together; stdin is
  // not shared, so Ctrl-C reaches this process only, and it decides the order of things.
  return spawn(process.execPath, args, {
    cwd: repoRoot,
    detached: true,
    stdio: ["ignore", "inherit", "inherit"],
    // No metrics, and no fetch of a real `request.cf` from workers.cloudflare.com: Miniflare's
    // placeholder is enough for the demo, and nothing is downloaded at run time.
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
  });
}

/** Polls the catch-all route until the Worker answers from the pushed table (or gives up). */
async function waitForGateway(): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (stopping) return;
    const status = await probe();
    if (status !== undefined && status !== 503) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`wrangler dev did not answer on 127.0.0.1:${PORT} within ${READY_TIMEOUT_MS / 1000} s`);
}

function probe(): Promise<number | undefined> {
  return new Promise((resolve) => {
    // wrangler's certificate is its own self-signed one: nothing to verify it against.
    const options = { host: "127.0.0.1", port: PORT, path: "/", timeout: 2000, rejectUnauthorized: false };
    const request = (TLS ? https : http).get(options, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on("error", () => resolve(undefined));
    request.on("timeout", () => request.destroy());
  });
}

/** A token the demo's `private` rule accepts: HS256 with the demo provider's secret, valid one hour. */
async function demoToken(table: RouteTable): Promise<string | undefined> {
  const provider = table.providers.demo;
  const secret = provider?.secret && DEMO_SECRETS[provider.secret.binding];
  if (!provider?.issuer || !secret) return undefined;
  return new SignJWT({ scope: "demo" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(provider.issuer)
    .setAudience(provider.audiences?.[0] ?? "demo-api")
    .setSubject("demo-user")
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode(secret));
}

function localProtocol(args: readonly string[]): string {
  const at = args.indexOf("--local-protocol");
  if (at >= 0) return args[at + 1] ?? "http";
  return args.find((a) => a.startsWith("--local-protocol="))?.split("=")[1] ?? "http";
}

function tryLines(token: string | undefined): string {
  const scheme = TLS ? "https" : "http";
  const api = `${scheme}://api.localhost:${PORT}`;
  const admin = `${scheme}://gatehouse.localhost:${PORT}`;
  const curl = TLS ? "curl -k" : "curl";
  const jar = "/tmp/gatehouse-demo.cookies";
  const lines = [
    "",
    `Gatehouse is up on ${scheme}://localhost:${PORT} (docs/demo.md says what each line shows). Try:`,
    "",
    "  # the echo: the pod's name, and the request as it reached the pod (round robin, 10 % to pod-c)",
    `  ${curl} -s ${api}/echo/hello`,
    `  for i in 1 2 3 4; do ${curl} -s -o /dev/null -w '%header{x-pod}\\n' ${api}/echo/hello; done`,
    "  # affinity: the /ws rule pins a client to its pod with a signed cookie",
    `  for i in 1 2 3 4; do ${curl} -s -c ${jar} -b ${jar} -o /dev/null -w '%header{x-pod}\\n' ${api}/ws/hello; done`,
    "  # server-sent events, printed as the pod writes them",
    `  ${curl} -N "${api}/sse?count=5&interval=1000"`,
    "  # a redirect and a rewrite",
    `  ${curl} -i ${api}/old/path`,
    `  ${curl} -s "${api}/v2/users?page=2"`,
    "  # a protected route: 401 without a token, the pod sees x-user-id with one",
    `  ${curl} -i ${api}/private/hello`,
  ];
  if (token) lines.push(`  ${curl} -s -H "Authorization: Bearer ${token}" ${api}/private/hello`);
  lines.push(
    "  # the admin status surface (JSON; the same URL without /status is the HTML page)",
    `  ${curl} -s -H "Authorization: Bearer ${DEMO_SECRETS.ADMIN_TOKEN}" ${admin}/status`,
    "  # a WebSocket: whoami names the pod, anything else is echoed",
    `  npx tsx scripts/ws-client.ts${TLS ? " --insecure" : ""} ${TLS ? "wss" : "ws"}://api.localhost:${PORT}/ws whoami "hello through the gateway"`,
    "",
    "Ctrl-C stops wrangler and the pods.",
    "",
  );
  return lines.join("\n");
}

async function shutdown(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await stopWrangler();
  await Promise.all(pods.map((pod) => pod.stop()));
  process.exit(exitCode);
}

/** SIGTERM to wrangler's process group, SIGKILL after five seconds if anything is still there. */
async function stopWrangler(): Promise<void> {
  const child = wrangler;
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  signalGroup(child.pid, "SIGTERM");
  const timer = setTimeout(() => signalGroup(child.pid!, "SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
  // workerd may outlive wrangler by a moment; the group is ours alone, so make sure it is gone.
  signalGroup(child.pid, "SIGKILL");
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  // A stop that was asked for is a clean exit: npm then prints no error.
  process.on(signal, () => void shutdown(0));
}

// If whatever started us goes away without a signal (its own SIGKILL), we are re-parented: stop too,
// rather than leave wrangler and the pods running with no one to stop them.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void shutdown(0);
}, 1000).unref();

run().catch(async (error: unknown) => {
  process.stderr.write(`npm start: ${error instanceof Error ? error.message : String(error)}\n`);
  await shutdown(1);
});
