/**
 * The seven scenarios of the soak suite (docs/reliability.md says what each shows). Each returns a
 * `ScenarioResult`: what was sent, what arrived, what was lost, and the checks that decide pass or fail.
 * A scenario that loses anything fails.
 */
import { writeFileSync } from "node:fs";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import type { StatusDocument } from "../../src/admin/status.ts";
import {
  ACTIVE_KEY,
  parseActivePointer,
  tableHash,
  versionId,
  versionKey,
} from "../../src/store/kv-layout.ts";
import { cpuMs } from "../support/process-cpu.ts";
import { openFileCount, openFileLimit, rssBytes } from "../support/process-memory.ts";
import {
  type AccessTally,
  type Gateway,
  get,
  Histogram,
  type PodProcess,
  pushWithCli,
  SOAK_HOST,
  sleep,
} from "./harness.ts";
import { type LoadFigures, startLoad } from "./http-load.ts";
import { type FleetCounts, SessionFleet } from "./sessions.ts";
import { AUDIENCE, ISSUER, otherTrafficPods, SESSION_COOKIE, soakTable, type TableParams } from "./tables.ts";

export const ISOLATE_LIMIT_BYTES = 128 * 1024 * 1024;
/** No answer within this long is a hang; a slower answer is a loaded machine. */
const HANG_MS = 10_000;

/** How big each scenario is: `short` is the CI form, `full` the run behind docs/reliability.md. */
export interface Scale {
  name: "short" | "full";
  rampStep: number;
  rampMax: number;
  rampHoldSeconds: number;
  rampTimeCapSeconds: number;
  routeChangeSessions: number;
  pushes: number;
  killSessions: number;
  httpConcurrency: number;
  killAfterSeconds: number;
  restartAfterSeconds: number;
  runAfterRestartSeconds: number;
  slowSeconds: number;
  badTableSessions: number;
  memorySessions: number;
  ejection: string;
  jwksCacheSeconds: number;
  jwksStaleSeconds: number;
}

export const SCALES: Record<"short" | "full", Scale> = {
  short: {
    name: "short",
    rampStep: 100,
    rampMax: 300,
    rampHoldSeconds: 3,
    rampTimeCapSeconds: 60,
    routeChangeSessions: 100,
    pushes: 3,
    killSessions: 60,
    httpConcurrency: 8,
    killAfterSeconds: 2,
    restartAfterSeconds: 4,
    runAfterRestartSeconds: 6,
    slowSeconds: 6,
    badTableSessions: 30,
    memorySessions: 200,
    ejection: "2s",
    jwksCacheSeconds: 30,
    jwksStaleSeconds: 3,
  },
  full: {
    name: "full",
    rampStep: 1000,
    rampMax: 10_000,
    rampHoldSeconds: 20,
    rampTimeCapSeconds: 900,
    routeChangeSessions: 1000,
    pushes: 20,
    killSessions: 600,
    httpConcurrency: 32,
    killAfterSeconds: 10,
    restartAfterSeconds: 20,
    runAfterRestartSeconds: 25,
    slowSeconds: 25,
    badTableSessions: 300,
    memorySessions: 1000,
    ejection: "5s",
    jwksCacheSeconds: 30,
    jwksStaleSeconds: 30,
  },
};

export interface Check {
  what: string;
  ok: boolean;
  detail: string;
}

export interface ScenarioResult {
  id: number;
  name: string;
  sent: string;
  arrived: string;
  lost: string;
  requests: number;
  byStatus: Record<string, number>;
  retries: number;
  sessions: Pick<FleetCounts, "closed" | "dropped" | "closedByPod" | "reconnected"> & { opened: number };
  messages: Pick<FleetCounts, "messagesSent" | "messagesReceived" | "lost" | "misrouted" | "reordered"> & {
    events: number;
  };
  /** Latency of HTTP requests, else of WebSocket round trips (`latencyOf` says which). */
  p50: number;
  p99: number;
  latencyOf: "http" | "ws";
  /** workerd CPU per HTTP request, or per message when the scenario sends none. */
  cpuUs: number;
  cpuPer: "request" | "message";
  checks: Check[];
  notes: string[];
  /** Scenario 1's steps, scenario 7's memory. */
  rows?: string[][];
  passed: boolean;
}

export interface SoakContext {
  scale: Scale;
  gateway: Gateway;
  pods: PodProcess[];
  persistTo: string;
  workDir: string;
  jwks: JwksServer;
  /** Pushes made so far (the table in force is push `push`). */
  push: number;
  refreshSeconds: number;
  /** Progress lines for whoever watches (stderr; silent with --quiet). */
  say(text: string): void;
}

// ---------------------------------------------------------------------------------------------------
// Shared bits

export function tableParams(ctx: SoakContext, push: number): TableParams {
  return {
    pods: ctx.pods.map((p) => ({ name: p.name, url: p.url })),
    jwksUri: ctx.jwks.uri,
    ejection: ctx.scale.ejection,
    jwksCacheDuration: `${ctx.scale.jwksCacheSeconds}s`,
    jwksStaleDuration: `${ctx.scale.jwksStaleSeconds}s`,
    push,
  };
}

/** `gatehouse push` of table number `push`, through the CLI binary. */
export async function pushTable(ctx: SoakContext, push: number): Promise<void> {
  const file = join(ctx.workDir, `table-${push}.json`);
  writeFileSync(file, JSON.stringify(soakTable(tableParams(ctx, push)), null, 2));
  await pushWithCli(ctx.persistTo, file, `soak push ${push}`);
  ctx.push = push;
}

function newFleet(ctx: SoakContext): SessionFleet {
  return new SessionFleet({
    port: ctx.gateway.port,
    prefix: "/session",
    socketsPerStream: 5,
    cookieName: SESSION_COOKIE,
  });
}

/** Scenario 5 runs alongside 6 and 7 on a route of its own; the others leave its tally alone. */
const notAuth = (route: string) => route !== "auth";
const onlyAuth = (route: string) => route === "auth";
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–");
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const statuses = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort()
    .map(([status, n]) => `${status === "0" ? "no answer" : status}: ${fmt(n)}`)
    .join(", ") || "–";

function check(checks: Check[], what: string, ok: boolean, detail: string): void {
  checks.push({ what, ok, detail });
}

/** The checks every scenario with sessions makes: nothing lost, misrouted, reordered or dropped. */
function sessionChecks(checks: Check[], c: FleetCounts): void {
  check(checks, "every session opened", c.openFailures === 0, `${fmt(c.openFailures)} failed to open`);
  check(checks, "0 messages lost", c.lost === 0, `${fmt(c.lost)} lost`);
  check(
    checks,
    "0 misrouted (100 % pinned)",
    c.misrouted === 0 && c.unpinnedStreams === 0,
    `${fmt(c.misrouted)} answers from another pod, ${fmt(c.unpinnedStreams)} streams not on their socket's pod`,
  );
  check(checks, "0 reordered", c.reordered === 0, `${fmt(c.reordered)} out of order`);
  check(checks, "0 sessions dropped", c.dropped === 0, `${fmt(c.dropped)} closed by the other side`);
}

interface Measured {
  fleet?: SessionFleet;
  load?: LoadFigures;
  tally: AccessTally;
  cpuMsUsed: number;
  extraRequests?: number;
  extraByStatus?: Record<string, number>;
  extraLatency?: Histogram;
}

function result(
  id: number,
  name: string,
  m: Measured,
  checks: Check[],
  notes: string[],
  rows?: string[][],
): ScenarioResult {
  const c = m.fleet?.counts;
  const byStatus: Record<string, number> = { ...(m.load?.byStatus ?? {}) };
  for (const [s, n] of Object.entries(m.extraByStatus ?? {})) byStatus[s] = (byStatus[s] ?? 0) + n;
  const requests = (m.load?.sent ?? 0) + (m.extraRequests ?? 0);
  const latency = m.load?.latency.count
    ? m.load.latency
    : m.extraLatency?.count
      ? m.extraLatency
      : m.fleet?.rtt;
  const latencyOf = latency === m.fleet?.rtt ? "ws" : "http";
  const messages = (c?.messagesSent ?? 0) + (c?.messagesReceived ?? 0) + (c?.eventsReceived ?? 0);
  const cpuPer = m.load?.sent ? "request" : "message";
  const per = cpuPer === "request" ? (m.load?.sent ?? 0) : messages;
  const sessionsOpened = (c?.socketsOpened ?? 0) + (c?.streamsOpened ?? 0);
  const received = sum(byStatus);
  const sent = [
    requests ? `${fmt(requests)} requests` : "",
    sessionsOpened ? `${fmt(c!.socketsOpened)} sockets + ${fmt(c!.streamsOpened)} streams` : "",
    c?.messagesSent ? `${fmt(c.messagesSent)} messages` : "",
  ]
    .filter(Boolean)
    .join(", ");
  const arrived = [
    requests ? `${fmt(received - (byStatus["0"] ?? 0))} answers (${statuses(byStatus)})` : "",
    c ? `${fmt(c.messagesReceived)} replies, ${fmt(c.eventsReceived)} events` : "",
  ]
    .filter(Boolean)
    .join(", ");
  const lostParts = [
    requests ? `${fmt(byStatus["0"] ?? 0)} requests unanswered` : "",
    c ? `${fmt(c.lost)} messages, ${fmt(c.dropped)} sessions dropped` : "",
    c?.lostWithPod ? `(${fmt(c.lostWithPod)} in flight on the killed pod)` : "",
  ].filter(Boolean);
  return {
    id,
    name,
    sent: sent || "–",
    arrived: arrived || "–",
    lost: lostParts.join(", ") || "–",
    requests,
    byStatus,
    retries: m.tally.retries,
    sessions: {
      opened: sessionsOpened,
      closed: c?.closed ?? 0,
      dropped: c?.dropped ?? 0,
      closedByPod: c?.closedByPod ?? 0,
      reconnected: c?.reconnected ?? 0,
    },
    messages: {
      messagesSent: c?.messagesSent ?? 0,
      messagesReceived: c?.messagesReceived ?? 0,
      lost: c?.lost ?? 0,
      misrouted: c?.misrouted ?? 0,
      reordered: c?.reordered ?? 0,
      events: c?.eventsReceived ?? 0,
    },
    p50: latency?.quantile(0.5) ?? Number.NaN,
    p99: latency?.quantile(0.99) ?? Number.NaN,
    latencyOf,
    cpuUs: per > 0 ? (m.cpuMsUsed * 1000) / per : Number.NaN,
    cpuPer,
    checks,
    notes,
    ...(rows ? { rows } : {}),
    passed: checks.every((x) => x.ok),
  };
}

// ---------------------------------------------------------------------------------------------------
// 1. Pinned sessions, ramped

export async function rampScenario(ctx: SoakContext): Promise<ScenarioResult> {
  const { scale, gateway } = ctx;
  const checks: Check[] = [];
  const notes: string[] = [];
  const rows: string[][] = [
    [
      "sockets",
      "streams",
      "messages/s",
      "round trip p50 / p99 ms",
      "workerd RSS MiB",
      "isolate heap MiB",
      "workerd open files",
      "workerd CPU % of a core",
      "CPU µs/message",
      "lost",
      "misrouted",
      "dropped",
      "failed to open",
    ],
  ];
  gateway.takeAccessTally(notAuth);
  const fleet = newFleet(ctx);
  const started = Date.now();
  const restarts0 = gateway.restarts.length;
  const fileLimit = openFileLimit(gateway.pid);
  let lastGoodFiles = Number.NaN;
  const cpu0 = cpuMs(gateway.pid);
  const rss0 = rssBytes(gateway.pid);
  const heap0 = await gateway.heapUsed(true);
  let ceiling = 0;
  let stoppedBy = `the target (${fmt(scale.rampMax)} sockets) was reached`;
  let lastGood:
    | { sockets: number; sessions: number; rss: number; heap: number; cpuPerSecond: number }
    | undefined;
  let previous = { ...fleet.counts };
  let failedStep = false;
  while (fleet.counts.socketsOpened < scale.rampMax) {
    if ((Date.now() - started) / 1000 > scale.rampTimeCapSeconds) {
      stoppedBy = `the time cap (${scale.rampTimeCapSeconds} s)`;
      break;
    }
    await fleet.open(scale.rampStep);
    const sent0 = fleet.counts.messagesSent + fleet.counts.messagesReceived + fleet.counts.eventsReceived;
    const hold0 = performance.now();
    const holdCpu0 = cpuMs(gateway.pid);
    fleet.takeWindow();
    await sleep(scale.rampHoldSeconds * 1000);
    const holdSeconds = (performance.now() - hold0) / 1000;
    const holdCpu = cpuMs(gateway.pid) - holdCpu0;
    const c = fleet.counts;
    const messages = c.messagesSent + c.messagesReceived + c.eventsReceived - sent0;
    const crashed = gateway.restarts.length > restarts0;
    const heap = crashed ? Number.NaN : await gateway.heapUsed(false).catch(() => Number.NaN);
    const rss = rssBytes(gateway.pid);
    const files = openFileCount(gateway.pid);
    const d = (k: keyof FleetCounts) => c[k] - previous[k];
    const window = fleet.takeWindow();
    rows.push([
      fmt(c.socketsOpened),
      fmt(c.streamsOpened),
      fmt(messages / holdSeconds),
      `${window.quantile(0.5).toFixed(1)} / ${window.quantile(0.99).toFixed(0)}`,
      mib(rss),
      mib(heap),
      `${fmt(files)} / ${fmt(openFileLimit(gateway.pid))}`,
      ((holdCpu / (holdSeconds * 1000)) * 100).toFixed(0),
      ((holdCpu * 1000) / messages).toFixed(1),
      fmt(d("lost")),
      fmt(d("misrouted") + d("unpinnedStreams")),
      fmt(d("dropped")),
      fmt(d("openFailures")),
    ]);
    const faults =
      d("lost") + d("misrouted") + d("reordered") + d("dropped") + d("openFailures") + d("unpinnedStreams");
    if (crashed) {
      failedStep = true;
      stoppedBy =
        `workerd exiting at ${gateway.restarts.at(-1)!.toISOString().slice(11, 19)} with ${fmt(c.socketsOpened + c.streamsOpened)} sessions ` +
        `asked for (Miniflare started a new one; every session was cut); its last lines: ` +
        (workerdLastWords(gateway.otherLogLines) || "none") +
        `; at the last step that held it had ${fmt(lastGoodFiles)} files open of its limit of ${fmt(fileLimit)}`;
      break;
    }
    if (faults > 0) {
      failedStep = true;
      stoppedBy =
        `the first failure at ${fmt(c.socketsOpened + c.streamsOpened + d("openFailures"))} sessions asked for: ` +
        `${fmt(d("openFailures"))} failed to open, ${fmt(d("lost"))} lost, ${fmt(d("dropped"))} dropped, ` +
        `${fmt(d("misrouted") + d("unpinnedStreams"))} misrouted; workerd had ${fmt(files)} files open ` +
        `(limit ${fmt(openFileLimit(gateway.pid))})`;
      break;
    }
    previous = { ...c };
    ctx.say(`ramp: ${rows.at(-1)!.join(" | ")}`);
    ceiling = c.socketsOpened;
    lastGoodFiles = files;
    lastGood = {
      sockets: c.socketsOpened,
      sessions: c.socketsOpened + c.streamsOpened,
      rss,
      heap,
      cpuPerSecond: holdCpu / holdSeconds,
    };
    if (heap >= ISOLATE_LIMIT_BYTES) {
      stoppedBy = "the isolate's heap reached 128 MB";
      break;
    }
  }
  const cpuUsed = cpuMs(gateway.pid) - cpu0;
  await fleet.close();
  if (gateway.restarts.length > restarts0) await gateway.reattach();
  if (lastGood) {
    notes.push(
      `Ceiling: ${fmt(ceiling)} sockets (${fmt(lastGood.sessions)} sessions with their streams), set by ${stoppedBy}.`,
      `Per session at the ceiling: workerd RSS ${((lastGood.rss - rss0) / lastGood.sessions / 1024).toFixed(1)} KiB, ` +
        `isolate heap ${mib(lastGood.heap)} MiB at the ceiling (${mib(heap0)} MiB before; garbage included, so it goes down as ` +
        `well as up: scenario 7 has the settled figure), ` +
        `workerd CPU ${((lastGood.cpuPerSecond * 1000) / lastGood.sessions).toFixed(1)} µs per session-second ` +
        `(one message each way a second per socket, one event a second per stream).`,
    );
  }
  check(
    checks,
    "steps below the ceiling lost nothing",
    true,
    `${rows.length - 1} steps of ${fmt(scale.rampStep)} sockets`,
  );
  // A failure that sets the ceiling is the finding, not a loss below it: the step that failed is
  // reported, and the suite fails only if nothing held at all, or a step below the ceiling lost anything.
  check(checks, "at least one step held", ceiling > 0, `ceiling ${fmt(ceiling)} sockets`);
  if (failedStep && scale.name === "short") {
    check(checks, "the short form reaches its target", false, stoppedBy);
  }
  const m: Measured = { fleet, tally: gateway.takeAccessTally(notAuth), cpuMsUsed: cpuUsed };
  const r = result(1, "Pinned sessions, ramped", m, checks, notes, rows);
  // Losses of the failing step are the ceiling's, already reported; those of the steps below are zero.
  if (failedStep) r.lost = `0 below the ceiling; the failing step: ${r.lost}`;
  return r;
}

/** What workerd wrote before it exited, without its stack trace and this machine's paths. */
function workerdLastWords(lines: readonly string[]): string {
  return lines
    .filter((line) => !line.startsWith('{"type":"route_table'))
    .slice(-3)
    .map((line) =>
      line
        .replace(/\n?stack:[^\n]*/g, "")
        .replace(/\/\S*\/(workerd)\b/g, "$1")
        .trim(),
    )
    .join(" / ")
    .slice(0, 400);
}

/** Plain requests a scenario sends beside its sessions, each tallied by status and latency. */
function prober(port: number) {
  const probes = { requests: 0, byStatus: {} as Record<string, number>, latency: new Histogram() };
  const probe = async (path: string) => {
    const answer = await get(port, path, { host: SOAK_HOST }, 10_000);
    probes.requests++;
    probes.byStatus[answer.status] = (probes.byStatus[answer.status] ?? 0) + 1;
    probes.latency.record(answer.ms);
    return answer;
  };
  return { probes, probe };
}

// ---------------------------------------------------------------------------------------------------
// 2. Route changes under sessions

export async function routeChangeScenario(ctx: SoakContext): Promise<ScenarioResult> {
  const { scale, gateway } = ctx;
  const checks: Check[] = [];
  const notes: string[] = [];
  gateway.takeAccessTally(notAuth);
  const fleet = newFleet(ctx);
  await fleet.open(scale.routeChangeSessions);
  const cpu0 = cpuMs(gateway.pid);
  const { probes, probe } = prober(gateway.port);
  const boundMs = ctx.refreshSeconds * 1000 + 1000;
  const lags: number[] = [];
  const first = ctx.push + 1;
  for (let push = first; push < first + scale.pushes; push++) {
    ctx.say(`push ${push}`);
    await pushTable(ctx, push);
    const pushed = performance.now();
    const expectedPods = otherTrafficPods({ pods: ctx.pods, push });
    let lag = Number.NaN;
    while (performance.now() - pushed < boundMs * 3) {
      const added = await probe(`/added/${push - 1}`);
      const other = await probe("/session-other/x");
      const pod = other.headers["x-pod"] as string | undefined;
      if (added.status === 200 && pod && expectedPods.includes(pod)) {
        lag = performance.now() - pushed;
        break;
      }
      await sleep(50);
    }
    lags.push(lag);
  }
  await sleep(2000);
  const cpuUsed = cpuMs(gateway.pid) - cpu0;
  await fleet.close();
  sessionChecks(checks, fleet.counts);
  const worst = Math.max(...lags);
  check(
    checks,
    `each table followed within the refresh interval (${ctx.refreshSeconds} s, + 1 s)`,
    lags.every((l) => l <= boundMs),
    `lag after each push, ms: ${lags.map((l) => fmt(l)).join(", ")}`,
  );
  notes.push(
    `${scale.pushes} tables pushed with \`gatehouse push --local --persist-to\` into the namespace workerd serves from; ` +
      `new requests followed each within ${fmt(worst)} ms of the push returning (refresh interval ${ctx.refreshSeconds} s). ` +
      `Probe answers before a table was picked up are the previous table's (404 for the route it adds).`,
  );
  return result(
    2,
    "Route changes under sessions",
    {
      fleet,
      tally: gateway.takeAccessTally(notAuth),
      cpuMsUsed: cpuUsed,
      extraRequests: probes.requests,
      extraByStatus: probes.byStatus,
      extraLatency: probes.latency,
    },
    checks,
    notes,
  );
}

// ---------------------------------------------------------------------------------------------------
// 3. A pod killed under load

export async function podKilledScenario(ctx: SoakContext): Promise<ScenarioResult> {
  const { scale, gateway } = ctx;
  const checks: Check[] = [];
  const notes: string[] = [];
  const victim = ctx.pods[1]!;
  gateway.takeAccessTally(notAuth);
  const fleet = newFleet(ctx);
  await fleet.open(scale.killSessions);
  const onVictim = fleet.podsInUse()[victim.name] ?? 0;
  const cpu0 = cpuMs(gateway.pid);
  const load = startLoad(gateway.port, () => "/load/echo", scale.httpConcurrency);
  await sleep(scale.killAfterSeconds * 1000);
  fleet.expectPodLoss = { pod: victim.name, at: Date.now() };
  victim.kill();
  await sleep(scale.restartAfterSeconds * 1000);
  await victim.restart();
  const servedBefore = load.figures.byPod[victim.name] ?? 0;
  const restartedAt = Date.now();
  await sleep(scale.runAfterRestartSeconds * 1000);
  const servedAfter = (load.figures.byPod[victim.name] ?? 0) - servedBefore;
  const figures = await load.stop();
  const cpuUsed = cpuMs(gateway.pid) - cpu0;
  const status = await gateway.status();
  await fleet.close();
  const c = fleet.counts;
  const victimHealth = status.clusters
    .find((cl) => cl.name === "pods")
    ?.endpoints.find((e) => e.name === victim.name);
  const tally = gateway.takeAccessTally(notAuth);
  const losses = fleet.podLosses;
  const codes = [...new Set(losses.map((l) => l.closeCode))].join(", ");
  const slowestClose = Math.max(0, ...losses.map((l) => l.closeMs));
  check(
    checks,
    "every idempotent request answered 200",
    sum(figures.byStatus) === (figures.byStatus["200"] ?? 0),
    statuses(figures.byStatus),
  );
  check(
    checks,
    "the sockets on the killed pod were closed, with a close code, promptly",
    c.closedByPod >= onVictim && slowestClose < 5000,
    `${fmt(c.closedByPod)} closed (${fmt(onVictim)} sockets were on ${victim.name}); close codes ${codes || "–"}; slowest ${fmt(slowestClose)} ms after the kill`,
  );
  const moved = losses.filter(
    (l) => l.newPod !== undefined && l.newPod !== victim.name && l.newCookie !== l.oldCookie,
  );
  check(
    checks,
    "each reconnected to a live pod with a new affinity value",
    moved.length === losses.filter((l) => l.oldPod === victim.name && l.closeMs >= 0).length &&
      c.reconnected === onVictim,
    `${fmt(c.reconnected)} reconnected, ${fmt(moved.length)} on another pod with a new cookie`,
  );
  check(
    checks,
    "the pod's return was noticed",
    servedAfter > 0 && victimHealth?.health !== "ejected",
    `${fmt(servedAfter)} requests served by ${victim.name} in the ${scale.runAfterRestartSeconds} s after its restart; status surface: ${victimHealth?.health ?? "not listed"}`,
  );
  check(checks, "0 messages lost on live pods", c.lost === 0, `${fmt(c.lost)} lost`);
  check(
    checks,
    "0 misrouted, 0 reordered",
    c.misrouted === 0 && c.reordered === 0,
    `${fmt(c.misrouted)} misrouted, ${fmt(c.reordered)} reordered`,
  );
  check(checks, "no session on a live pod dropped", c.dropped === 0, `${fmt(c.dropped)} dropped`);
  notes.push(
    `${victim.name} SIGKILLed after ${scale.killAfterSeconds} s of load, restarted ${scale.restartAfterSeconds} s later ` +
      `(ejection ${scale.ejection}, doubling while it stays down). Retries (from the access log): ${fmt(tally.retries)}. ` +
      `${fmt(c.lostWithPod)} messages were in flight on the killed pod when it died (gone with it; not counted as lost). ` +
      `Slowest HTTP answer ${fmt(figures.maxMs)} ms. Restarted at ${new Date(restartedAt).toISOString().slice(11, 19)}.`,
  );
  return result(
    3,
    "A pod killed under load",
    { fleet, load: figures, tally, cpuMsUsed: cpuUsed },
    checks,
    notes,
  );
}

// ---------------------------------------------------------------------------------------------------
// 4. A slow pod

export async function slowPodScenario(ctx: SoakContext): Promise<ScenarioResult> {
  const { scale, gateway } = ctx;
  const checks: Check[] = [];
  const notes: string[] = [];
  const slow = ctx.pods[2]!;
  gateway.takeAccessTally(notAuth);
  const baseline = await startLoad(gateway.port, () => "/load/echo", scale.httpConcurrency);
  await sleep(3000);
  const before = await baseline.stop();
  gateway.takeAccessTally(notAuth);
  slow.setDelay(5000);
  const cpu0 = cpuMs(gateway.pid);
  const load = startLoad(gateway.port, () => "/load/echo", scale.httpConcurrency);
  await sleep(scale.slowSeconds * 1000);
  const statusDuring = await gateway.status();
  const figures = await load.stop();
  const cpuUsed = cpuMs(gateway.pid) - cpu0;
  slow.setDelay(0);
  const tally = gateway.takeAccessTally(notAuth);
  const slowHealth = statusDuring.clusters
    .find((cl) => cl.name === "pods")
    ?.endpoints.find((e) => e.name === slow.name);
  check(
    checks,
    "every request answered 200 (timed out on the slow pod, retried on another)",
    sum(figures.byStatus) === (figures.byStatus["200"] ?? 0),
    statuses(figures.byStatus),
  );
  check(
    checks,
    "the backendRequest timeout (1 s) fired, not the pod's 5 s",
    tally.retries > 0 && figures.maxMs < 4500,
    `${fmt(tally.retries)} retries; slowest answer ${fmt(figures.maxMs)} ms (request timeout 4 s)`,
  );
  const p50Before = before.latency.quantile(0.5);
  const p50During = figures.latency.quantile(0.5);
  check(
    checks,
    "the other pods kept their latency (p50)",
    p50During < Math.max(3 * p50Before, p50Before + 20),
    `p50 ${p50Before.toFixed(1)} ms before, ${p50During.toFixed(1)} ms with the slow pod; p99 ${before.latency.quantile(0.99).toFixed(1)} → ${figures.latency.quantile(0.99).toFixed(1)} ms`,
  );
  check(
    checks,
    "passive health ejected the slow pod",
    slowHealth?.health === "ejected",
    `status surface: ${slowHealth?.health ?? "not listed"}; answers by pod: ${JSON.stringify(figures.byPod)}`,
  );
  notes.push(
    `${slow.name} answered every HTTP request 5 s late for ${scale.slowSeconds} s; the rule's timeouts are backendRequest 1 s, ` +
      `request 4 s, with 2 retries on 502/503/504.`,
  );
  return result(4, "A slow pod", { load: figures, tally, cpuMsUsed: cpuUsed }, checks, notes);
}

// ---------------------------------------------------------------------------------------------------
// 5. JWKS outage

export interface JwksServer {
  uri: string;
  /** `up` serves the keys; `blackhole` accepts connections and never answers. */
  mode: "up" | "blackhole";
  sign(): Promise<string>;
  close(): Promise<void>;
}

export async function startJwksServer(): Promise<JwksServer> {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: "soak", alg: "RS256", use: "sig" };
  const held: ServerResponse[] = [];
  const sockets = new Set<Socket>();
  const state: { mode: "up" | "blackhole" } = { mode: "up" };
  const server: Server = createServer((_req, res) => {
    if (state.mode === "blackhole") {
      held.push(res);
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  let sequence = 0;
  return {
    uri: `http://127.0.0.1:${port}/jwks`,
    get mode() {
      return state.mode;
    },
    set mode(mode) {
      state.mode = mode;
    },
    sign: () =>
      new SignJWT({ scope: "soak", n: sequence++ })
        .setProtectedHeader({ alg: "RS256", kid: "soak" })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject("soak-user")
        .setIssuedAt()
        .setExpirationTime("1h")
        .sign(privateKey),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function jwksOutageScenario(ctx: SoakContext): Promise<ScenarioResult> {
  const { scale, gateway, jwks } = ctx;
  const checks: Check[] = [];
  const notes: string[] = [];
  gateway.takeAccessTally(onlyAuth);
  const cpu0 = cpuMs(gateway.pid);
  const byStatus: Record<string, number> = {};
  const latency = new Histogram();
  let requests = 0;
  let maxMs = 0;
  const ask = async (token: string) => {
    requests++;
    try {
      const answer = await get(
        gateway.port,
        "/auth/x",
        { host: SOAK_HOST, authorization: `Bearer ${token}` },
        15_000,
      );
      byStatus[answer.status] = (byStatus[answer.status] ?? 0) + 1;
      latency.record(answer.ms);
      maxMs = Math.max(maxMs, answer.ms);
      return answer;
    } catch {
      byStatus["0"] = (byStatus["0"] ?? 0) + 1;
      return undefined;
    }
  };
  // The keys are fetched once, by the first request; the endpoint is down from then on.
  const warm = await ask(await jwks.sign());
  const fetchedAt = Date.now();
  jwks.mode = "blackhole";
  // Freshness is clamped to at least 30 s whatever cacheDuration says (docs/auth.md): the status
  // surface says when this isolate's keys stop being fresh, and when the stale period ends.
  const keySet = (await gateway.status()).providers.find((p) => p.provider === "soak");
  const staleEnds = keySet?.staleUntil ? Date.parse(keySet.staleUntil) : Number.NaN;
  if (!Number.isFinite(staleEnds))
    throw new Error(`no staleUntil for the key set: ${JSON.stringify(keySet)}`);
  const repeated = await jwks.sign();
  await ask(repeated);
  const timeline: { at: number; fresh: number; fresh503: string; repeated: number }[] = [];
  while (Date.now() < staleEnds + 5000) {
    const fresh = await ask(await jwks.sign());
    const again = await ask(repeated);
    timeline.push({
      at: Date.now(),
      fresh: fresh?.status ?? 0,
      fresh503:
        fresh?.status === 503
          ? `${JSON.parse(fresh.body).error}, Retry-After ${fresh.headers["retry-after"]}`
          : "",
      repeated: again?.status ?? 0,
    });
    await sleep(250);
  }
  // workerd's CPU is not this scenario's alone: it runs alongside 6 and 7 (its wait is the key set's
  // 30 s of least freshness, nothing else).
  void cpu0;
  const cpuUsed = Number.NaN;
  const tally = gateway.takeAccessTally(onlyAuth);
  const marginMs = 1000;
  const inStale = timeline.filter((t) => t.at < staleEnds - marginMs);
  const after = timeline.filter((t) => t.at > staleEnds + marginMs);
  const since = (at: number) => `${((at - fetchedAt) / 1000).toFixed(1)} s`;
  const lastOk = Math.max(...timeline.filter((t) => t.fresh === 200).map((t) => t.at));
  const first503 = timeline.find((t) => t.fresh === 503);
  check(
    checks,
    "the first request fetched the keys",
    warm?.status === 200,
    `status ${warm?.status ?? "no answer"}`,
  );
  check(
    checks,
    "cached keys kept verifying through the stale period",
    inStale.every((t) => t.fresh === 200),
    `${inStale.length} new tokens until ${since(staleEnds)} (fresh until ${keySet?.freshUntil ? since(Date.parse(keySet.freshUntil)) : "–"}, stale until ${since(staleEnds)}): ${statuses(count(inStale.map((t) => t.fresh)))}; last 200 at ${since(lastOk)}`,
  );
  check(
    checks,
    "then 503 jwks_unavailable with Retry-After",
    after.length > 0 &&
      after.every((t) => t.fresh === 503 && t.fresh503.startsWith("jwks_unavailable, Retry-After")),
    `after the stale period: ${statuses(count(after.map((t) => t.fresh)))}; first at ${first503 ? since(first503.at) : "–"} (${first503?.fresh503 ?? "–"})`,
  );
  check(
    checks,
    "never a hang",
    (byStatus["0"] ?? 0) === 0 && maxMs < HANG_MS,
    `every request answered, the slowest in ${fmt(maxMs)} ms (JWKS timeout 1 s; the endpoint accepts and never ` +
      `answers; a hang would be no answer within ${HANG_MS / 1000} s: the margin is this shared machine's scheduling)`,
  );
  const repeatedAfter = after.map((t) => t.repeated);
  check(
    checks,
    "a token the verified-token cache remembers gets the same 503",
    repeatedAfter.length > 0 && repeatedAfter.every((status) => status === 503),
    `the token sent again and again, after the stale period: ${statuses(count(repeatedAfter))}`,
  );
  notes.push(
    `Keys fetched at 0 s (cacheDuration ${scale.jwksCacheSeconds} s, the least freshness there is; staleDuration ${scale.jwksStaleSeconds} s), then the endpoint ` +
      `accepts connections and never answers. A new token is signed for every request so the verified-token cache ` +
      "cannot answer them; one more token is sent again and again beside them, which the cache does answer.",
  );
  return result(
    5,
    "JWKS outage",
    {
      tally,
      cpuMsUsed: cpuUsed,
      extraRequests: requests,
      extraByStatus: byStatus,
      extraLatency: latency,
    },
    checks,
    notes,
  );
}

function count(values: number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

// ---------------------------------------------------------------------------------------------------
// 6. A bad table pushed mid-run

export async function badTableScenario(ctx: SoakContext): Promise<ScenarioResult> {
  const { scale, gateway } = ctx;
  const checks: Check[] = [];
  const notes: string[] = [];
  gateway.takeAccessTally(notAuth);
  const fleet = newFleet(ctx);
  await fleet.open(scale.badTableSessions);
  const cpu0 = cpuMs(gateway.pid);
  const { probes, probe } = prober(gateway.port);
  const kv = gateway.kv;
  const pointer = parseActivePointer((await kv.get(ACTIVE_KEY))!);
  if (!pointer.ok) throw new Error(`active pointer unreadable: ${pointer.reason}`);
  const good = JSON.parse((await kv.get(versionKey(pointer.value.id)))!) as {
    version: number;
    hash: string;
    table: { routes: unknown[] };
  };
  const goodId = pointer.value.id;
  const badRoute = (value: string, type: string) => ({
    id: "bad-only",
    hostnames: [SOAK_HOST],
    rules: [{ matches: [{ path: { type, value } }], backendRefs: [{ name: "pods" }] }],
  });
  // What an operator writing KV by hand could leave there, each under a new id named by the pointer.
  const writeByHand = async (table: unknown, hash: string, version: number) => {
    const id = versionId(version, hash);
    const record = {
      format: 1,
      id,
      version,
      hash,
      publishedAt: new Date().toISOString(),
      publishedBy: "by hand",
      table,
    };
    await kv.put(versionKey(id), JSON.stringify(record));
    await kv.put(
      ACTIVE_KEY,
      JSON.stringify({
        format: 1,
        id,
        version,
        hash,
        activatedAt: record.publishedAt,
        activatedBy: "by hand",
        reason: "push",
        history: [pointer.value],
      }),
    );
    return id;
  };
  const waitMs = ctx.refreshSeconds * 1000 + 1500;
  const cases: {
    name: string;
    id: string;
    path: string;
    status?: StatusDocument;
    answer?: number;
    ms?: number;
  }[] = [];

  // (a) A table edited after it was hashed: one route added, the hash left as it was.
  const edited = { ...good.table, routes: [...good.table.routes, badRoute("/bad-only", "PathPrefix")] };
  const brokenId = await writeByHand(edited, good.hash, good.version + 1);
  cases.push({ name: "broken hash (a route added by hand)", id: brokenId, path: "/bad-only" });
  // (b) A correct hash over a table with a path regex that stalls a backtracking engine (issue 11's
  // pattern): RE2's program-size cap is what refuses it.
  // The route as the CLI would have normalised it (defaults filled in), so the worker's shape check
  // passes and the regex check is what refuses it.
  const normalised = structuredClone(good.table.routes.find((r) => (r as { id: string }).id === "load")) as {
    id: string;
    rules: { matches: { path: { type: string; value: string } }[] }[];
  };
  normalised.id = "bad-only";
  normalised.rules[0]!.matches[0]!.path = {
    type: "RegularExpression",
    value: `/${"[a-z]{0,99}".repeat(6)}!`,
  };
  const catastrophic = { ...good.table, routes: [...good.table.routes, normalised] };
  cases.push({
    name: "regex over the program-size cap, correct hash",
    id: "",
    path: `/${"a".repeat(110)}!`,
  });
  for (const c of cases) {
    if (c.id === "") c.id = await writeByHand(catastrophic, await tableHash(catastrophic), good.version + 2);
    const deadline = performance.now() + waitMs;
    // Requests keep flowing (they are what schedules the refresh), and must keep being served.
    while (performance.now() < deadline) {
      await probe("/session-other/x");
      await sleep(100);
    }
    const answer = await probe(c.path);
    c.answer = answer.status;
    c.ms = answer.ms;
    c.status = await gateway.status();
  }
  // (c) A good table pushed with the CLI moves on.
  await pushTable(ctx, ctx.push + 1);
  let recovered: StatusDocument | undefined;
  const deadline = performance.now() + waitMs * 2;
  while (performance.now() < deadline) {
    await probe(`/added/${ctx.push - 1}`);
    recovered = await gateway.status();
    if (recovered.refresh.upToDate && recovered.table?.id !== goodId) break;
    await sleep(200);
  }
  await sleep(1000);
  const cpuUsed = cpuMs(gateway.pid) - cpu0;
  await fleet.close();
  sessionChecks(checks, fleet.counts);
  for (const c of cases) {
    const s = c.status!;
    check(
      checks,
      `${c.name}: the last good table kept serving`,
      s.table?.id === goodId && c.answer === 404 && (c.ms ?? 0) < 1000,
      `serving ${s.table?.id === goodId ? "the last good version" : s.table?.id}; ${c.path.slice(0, 20)}… answered ${c.answer} in ${fmt(c.ms ?? 0)} ms (the route exists only in the bad table)`,
    );
    check(
      checks,
      `${c.name}: the status surface says so`,
      statusSaysServingLastGood(s, c.id),
      `source: ${s.source.summary}; refresh.upToDate ${s.refresh.upToDate}; lastLoadError: ${s.lastLoadError?.kind ?? "none"}: ${s.lastLoadError?.message.slice(0, 160) ?? ""}`,
    );
  }
  check(
    checks,
    "a good push afterwards is served",
    recovered?.refresh.upToDate === true && recovered.table?.id !== goodId,
    `serving ${recovered?.table?.id ?? "–"}`,
  );
  const other = Object.entries(probes.byStatus).filter(([s]) => s !== "200" && s !== "404");
  check(
    checks,
    "every probe answered 200 or (for the bad tables' routes) 404",
    other.length === 0,
    statuses(probes.byStatus),
  );
  notes.push(
    "Both bad versions were written straight into the namespace (record, then pointer), as `wrangler kv key put` would.",
  );
  return result(
    6,
    "A bad table pushed mid-run",
    {
      fleet,
      tally: gateway.takeAccessTally(notAuth),
      cpuMsUsed: cpuUsed,
      extraRequests: probes.requests,
      extraByStatus: probes.byStatus,
      extraLatency: probes.latency,
    },
    checks,
    notes,
  );
}

/**
 * What the status surface says while a bad version is named by the pointer: `source` names it as
 * wanted and the last good version as served, with the reason; `refresh.upToDate` false, the version
 * among `rejectedVersions`, and a `rejected` `lastLoadError`.
 */
function statusSaysServingLastGood(status: StatusDocument, wantedId: string): boolean {
  return (
    status.state === "serving" &&
    status.source.state === "fallback" &&
    status.source.wanted === wantedId &&
    status.source.serving !== undefined &&
    status.source.serving !== wantedId &&
    status.source.reason !== undefined &&
    status.refresh.upToDate === false &&
    status.refresh.pointer === wantedId &&
    status.rejectedVersions.some((v) => v.version === wantedId) &&
    status.lastLoadError?.kind === "rejected"
  );
}

// ---------------------------------------------------------------------------------------------------
// 7. Memory

export async function memoryScenario(ctx: SoakContext): Promise<ScenarioResult> {
  const { scale, gateway } = ctx;
  const checks: Check[] = [];
  const notes: string[] = [];
  gateway.takeAccessTally(notAuth);
  const heap0 = await gateway.heapUsed(true);
  const rss0 = rssBytes(gateway.pid);
  const cpu0 = cpuMs(gateway.pid);
  const fleet = newFleet(ctx);
  await fleet.open(scale.memorySessions);
  // The least heap over the hold: V8 collects as it goes, so the least reading is the nearest to what
  // the sessions keep alive (workerd's inspector does not answer a request to collect garbage).
  let heap1 = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 10; i++) {
    await sleep(500);
    heap1 = Math.min(heap1, await gateway.heapUsed(false));
  }
  const rss1 = rssBytes(gateway.pid);
  const cpuUsed = cpuMs(gateway.pid) - cpu0;
  const sessions = fleet.counts.socketsOpened + fleet.counts.streamsOpened;
  await fleet.close();
  sessionChecks(checks, fleet.counts);
  const heapPer = (heap1 - heap0) / sessions;
  const rssPer = (rss1 - rss0) / sessions;
  // Less than 100 bytes a session is within the noise of garbage not yet collected.
  const atLimit = heapPer > 100 ? (ISOLATE_LIMIT_BYTES - heap0) / heapPer : Number.POSITIVE_INFINITY;
  const rows = [
    ["", "isolate heap (least reading over the hold)", "workerd RSS"],
    ["before", `${mib(heap0)} MiB`, `${mib(rss0)} MiB`],
    [`with ${fmt(sessions)} sessions`, `${mib(heap1)} MiB`, `${mib(rss1)} MiB`],
    ["per session", `${(heapPer / 1024).toFixed(2)} KiB`, `${(rssPer / 1024).toFixed(1)} KiB`],
    [
      "128 MB reached at",
      Number.isFinite(atLimit) ? `${fmt(atLimit)} sessions` : "not by sessions (no measurable growth)",
      "(not an isolate limit)",
    ],
  ];
  notes.push(
    `${fmt(fleet.counts.socketsOpened)} sockets and ${fmt(fleet.counts.streamsOpened)} streams held 5 s, on a workerd that had ` +
      `served nothing else yet (this scenario runs first). The isolate's 128 MB is a limit on its V8 heap; ` +
      (Number.isFinite(atLimit)
        ? `at this rate it would be reached at about ${fmt(atLimit)} sessions. `
        : "the heap does not grow measurably with sessions, so it is not what bounds them. ") +
      `A proxied session's buffers and sockets live in workerd outside the heap (the RSS column).`,
  );
  check(
    checks,
    "measured",
    Number.isFinite(heapPer) && Number.isFinite(rssPer),
    `heap ${heapPer.toFixed(0)} B, RSS ${rssPer.toFixed(0)} B per session`,
  );
  return result(
    7,
    "Memory",
    { fleet, tally: gateway.takeAccessTally(notAuth), cpuMsUsed: cpuUsed },
    checks,
    notes,
    rows,
  );
}
