/**
 * Active health checks end to end: the Worker's own `scheduled` handler, called with Miniflare's
 * scheduled controller, probes the real pods on 127.0.0.1 (stopped and started by the control server)
 * for the table published in Miniflare's KV, and requests through the real worker act on the verdicts.
 * Each call is one cron run; its scheduled time moves a minute on per call, as the cron's would.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { RouteTableInput } from "../../src/config/schema.ts";
import { HEALTH_KEY_PREFIX } from "../../src/store/health-record.ts";
import { resetHealthSourceForTests } from "../../src/store/health-source.ts";
import { resetActiveHealthForTests } from "../../src/upstream/active-health.ts";
import { PROBE_USER_AGENT } from "../../src/upstream/probe.ts";
import worker from "../../src/worker/index.ts";
import { ADMIN_HOST, ADMIN_TOKEN, publish, resetRoutes, sleep, viaWorker } from "../store/kv-test-helpers.ts";
import { failNext, type PodName, podRequests, resetAllPods, startPod, stopPod } from "../support/origins.ts";
import { accessLogDuring, clusterName, echoOf, podsCluster } from "../upstream/support.ts";

const HOST = "active.test";
let scheduledAt = 0;

/** Verdict records outlive the versions `resetRoutes` removes: each test starts with none. */
async function resetHealthRecords(): Promise<void> {
  for (const key of (await env.ROUTES.list({ prefix: HEALTH_KEY_PREFIX })).keys)
    await env.ROUTES.delete(key.name);
}

beforeEach(async () => {
  await resetRoutes();
  await resetHealthRecords();
  await resetAllPods();
  resetActiveHealthForTests();
  resetHealthSourceForTests();
  scheduledAt = Math.floor(Date.now() / 60_000) * 60_000;
});
afterAll(async () => {
  await resetRoutes();
  await resetHealthRecords();
  await resetAllPods();
  resetActiveHealthForTests();
  resetHealthSourceForTests();
});

/** One cron run, a minute after the last (its log lines kept out of the test output). */
async function runChecks(): Promise<void> {
  scheduledAt += 60_000;
  const ctx = createExecutionContext();
  const quiet = vi.spyOn(console, "log").mockImplementation(() => {});
  await worker.scheduled(
    createScheduledController({ scheduledTime: scheduledAt, cron: "* * * * *" }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  quiet.mockRestore();
}

type Active = NonNullable<NonNullable<RouteTableInput["clusters"]>[string]["healthCheck"]>["active"];

/** Publishes one route on HOST over a cluster of `pods` with the given active check; the cluster's name. */
async function publishChecked(
  pods: PodName[],
  active: Active,
  extra: { rule?: Record<string, unknown> } = {},
): Promise<string> {
  const name = clusterName("active");
  await publish({
    version: 1,
    clusters: { [name]: podsCluster(pods, { healthCheck: { active } }) },
    routes: [{ id: "r", hostnames: [HOST], rules: [{ backendRefs: [{ name }], ...extra.rule }] }],
  });
  return name;
}

interface EndpointBody {
  name: string;
  takesTraffic: boolean;
  consecutiveErrors: number;
  active?: { verdict: string; since?: string; checkedAt?: string; result?: string };
}

async function endpoints(): Promise<Record<string, EndpointBody>> {
  const res = await viaWorker(`https://${ADMIN_HOST}/status`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const body = (await res.json()) as { clusters: { endpoints: EndpointBody[] }[] };
  return Object.fromEntries(body.clusters.flatMap((c) => c.endpoints).map((e) => [e.name, e]));
}

async function verdicts(): Promise<Record<string, string | undefined>> {
  const all = await endpoints();
  return Object.fromEntries(Object.entries(all).map(([name, e]) => [name, e.active?.verdict]));
}

/** `count` requests one after another through the worker: each one's access-log line. */
async function send(count: number, init?: RequestInit) {
  const { lines } = await accessLogDuring(async () => {
    for (let i = 0; i < count; i++) {
      const res = await viaWorker(`https://${HOST}/`, init);
      await res.body?.cancel();
    }
  });
  return lines;
}

/** What a pod received that was not a probe. */
async function clientRequests(pod: PodName): Promise<number> {
  const seen = await podRequests(pod);
  return seen.filter((r) => r.headers["user-agent"] !== PROBE_USER_AGENT).length;
}

describe("active health (scheduled probes against real pods)", () => {
  it("marks a stopped pod down before any client is sent to it, and up again after it recovers", async () => {
    await publishChecked(["pod-a", "pod-b"], {
      path: "/healthz",
      healthyThreshold: 2,
      unhealthyThreshold: 2,
    });
    await stopPod("pod-b");
    await runChecks();

    const first = await endpoints();
    expect(first["pod-a"]?.active?.verdict).toBe("up");
    expect(first["pod-b"]).toMatchObject({ takesTraffic: false, active: { verdict: "down" } });
    expect(first["pod-b"]?.active?.result).toMatch(/^connection failed/);
    expect(Date.parse(first["pod-b"]?.active?.since ?? "")).toBeGreaterThan(Date.now() - 60_000);
    // The page shows both verdicts and when the active one was taken.
    const page = await (
      await viaWorker(`https://${ADMIN_HOST}/`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).text();
    expect(page).toContain("<th>Passive health</th><th>Active health</th>");
    expect(page).toMatch(/pill bad">down<\/span><div class="muted">since \d{4}-\d{2}-\d{2} /);

    // No client request ever meets the stopped pod: one attempt each, all on pod-a, nothing charged.
    const during = await send(6);
    expect(during.every((l) => l.status === 200 && l.endpoint === "pod-a" && l.attempts === 1)).toBe(true);
    expect((await endpoints())["pod-b"]?.consecutiveErrors).toBe(0);

    // Back on the network: one good probe is not yet enough (healthyThreshold 2).
    await startPod("pod-b");
    await runChecks();
    expect((await verdicts())["pod-b"]).toBe("down");
    expect((await send(4)).every((l) => l.endpoint === "pod-a")).toBe(true);
    expect(await clientRequests("pod-b")).toBe(0);
    expect((await podRequests("pod-b")).map((r) => r.url)).toEqual(["/healthz"]);

    await runChecks();
    const recovered = await endpoints();
    expect(recovered["pod-b"]).toMatchObject({
      takesTraffic: true,
      active: { verdict: "up", result: "200" },
    });
    const after = await send(4);
    expect(after.filter((l) => l.endpoint === "pod-b").length).toBeGreaterThan(0);
  });

  it("flips an up pod down only after unhealthyThreshold failed probes in a row", async () => {
    await publishChecked(["pod-a", "pod-b"], {
      path: "/healthz",
      unhealthyThreshold: 3,
      healthyThreshold: 1,
    });
    await runChecks();
    expect(await verdicts()).toEqual({ "pod-a": "up", "pod-b": "up" });
    await stopPod("pod-b");
    await runChecks();
    await runChecks();
    const twice = await endpoints();
    expect(twice["pod-b"]).toMatchObject({ takesTraffic: true, active: { verdict: "up" } });
    await runChecks();
    expect((await verdicts())["pod-b"]).toBe("down");
    // healthyThreshold 1: the first good probe brings it back.
    await startPod("pod-b");
    await runChecks();
    expect((await verdicts())["pod-b"]).toBe("up");
  });

  it("counts only expectedStatuses as success, and a probe past its timeout as a failure", async () => {
    // The pods answer /status/204 with 204.
    await publishChecked(["pod-a"], { path: "/status/204" });
    await runChecks();
    expect((await endpoints())["pod-a"]?.active).toMatchObject({ verdict: "down", result: "204" });

    await publishChecked(["pod-a"], { path: "/status/204", expectedStatuses: [200, 204] });
    await runChecks();
    expect((await endpoints())["pod-a"]?.active).toMatchObject({ verdict: "up", result: "204" });

    await publishChecked(["pod-a"], { path: "/delay/1000", timeout: "100ms" });
    await runChecks();
    expect((await endpoints())["pod-a"]?.active).toMatchObject({ verdict: "down", result: "timeout" });
  });

  it("panic mode: when every endpoint is down, requests are still sent to all of them", async () => {
    await publishChecked(["pod-a", "pod-b"], { path: "/status/503" });
    await runChecks();
    const all = await endpoints();
    expect(Object.values(all).map((e) => [e.active?.verdict, e.takesTraffic])).toEqual([
      ["down", false],
      ["down", false],
    ]);
    const lines = await send(6);
    expect(lines.every((l) => l.status === 200)).toBe(true);
    expect(new Set(lines.map((l) => l.endpoint))).toEqual(new Set(["pod-a", "pod-b"]));
  });

  it("moves an affinity session off a pod an active check marks down, with a new value", async () => {
    await publishChecked(
      ["pod-a", "pod-b"],
      { path: "/healthz", unhealthyThreshold: 1 },
      { rule: { sessionPersistence: { sessionName: "gh", type: "Cookie" } } },
    );
    await runChecks();
    const first = await viaWorker(`https://${HOST}/`);
    const pinned = (await echoOf(first)).pod as PodName;
    const cookie = first.headers.get("set-cookie")?.split(";")[0] ?? "";
    expect(cookie).toMatch(/^gh=/);
    const other: PodName = pinned === "pod-a" ? "pod-b" : "pod-a";

    // Still pinned while it is up.
    const kept = await send(3, { headers: { cookie } });
    expect(kept.every((l) => l.endpoint === pinned)).toBe(true);

    // Its next probe fails (unhealthyThreshold 1): it is down, though it serves clients fine.
    await failNext(pinned, 1, 503);
    await runChecks();
    expect((await verdicts())[pinned]).toBe("down");
    const before = await clientRequests(pinned);
    const { result: moved, lines } = await accessLogDuring(() =>
      viaWorker(`https://${HOST}/`, { headers: { cookie } }),
    );
    expect((await echoOf(moved)).pod).toBe(other);
    expect(lines[0]?.session).toBe("moved");
    const next = moved.headers.get("set-cookie")?.split(";")[0] ?? "";
    expect(next).toMatch(/^gh=/);
    expect(next).not.toBe(cookie);
    expect(await clientRequests(pinned)).toBe(before);
  });

  it("another isolate reads the verdicts from KV in the background, without a request waiting", async () => {
    await publishChecked(["pod-a", "pod-b"], { path: "/healthz" });
    await stopPod("pod-b");
    await runChecks();
    const stored = await env.ROUTES.list({ prefix: HEALTH_KEY_PREFIX });
    expect(stored.keys).toHaveLength(1);
    // A short TTL: checks that stop running stop marking endpoints down.
    expect(stored.keys[0]?.expiration).toBeGreaterThan(Date.now() / 1000);
    expect(stored.keys[0]?.expiration).toBeLessThanOrEqual(Date.now() / 1000 + 181);

    // As a fresh isolate: nothing believed until the record is read in the background.
    resetActiveHealthForTests();
    resetHealthSourceForTests();
    expect((await verdicts())["pod-b"]).toBe("unknown");
    const deadline = Date.now() + 10_000;
    let seen = await verdicts();
    while (seen["pod-b"] !== "down" && Date.now() < deadline) {
      await sleep(100);
      seen = await verdicts();
    }
    expect(seen["pod-b"]).toBe("down");
    expect((await send(4)).every((l) => l.endpoint === "pod-a" && l.attempts === 1)).toBe(true);
  });

  it("probes nothing and writes nothing for a table without active checks", async () => {
    const name = clusterName("passive-only");
    await publish({
      version: 1,
      clusters: { [name]: podsCluster(["pod-a"]) },
      routes: [{ id: "r", hostnames: [HOST], rules: [{ backendRefs: [{ name }] }] }],
    });
    await runChecks();
    expect(await podRequests("pod-a")).toEqual([]);
    expect((await env.ROUTES.list({ prefix: HEALTH_KEY_PREFIX })).keys).toEqual([]);
  });
});
