/**
 * The worker's table source against Miniflare's real KV, through the real worker: what is served
 * after a publish, a background refresh, a damaged version, a rollback and a race of publishers.
 */
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { RouteTableInput } from "../../src/config/schema.ts";
import { ACTIVE_KEY, parseActivePointer, versionKey } from "../../src/store/kv-layout.ts";
import { listVersions, loadVersion, publishTable, rollbackTo } from "../../src/store/publish.ts";
import { type PodName, podUrl } from "../support/origins.ts";
import {
  publish,
  resetRoutes,
  routesKv,
  sleep,
  status,
  viaWorker,
  waitForStatus,
  writeRawVersion,
} from "./kv-test-helpers.ts";

/** One route: every path on `host` goes to `pod`. */
function tableFor(host: string, pod: PodName = "pod-a"): RouteTableInput {
  return {
    version: 1,
    clusters: { pods: { endpoints: [{ url: podUrl(pod) }] } },
    routes: [
      { id: `to-${host.split(".")[0]}`, hostnames: [host], rules: [{ backendRefs: [{ name: "pods" }] }] },
    ],
  };
}

/** What validation fills in for a cluster, spelled out as a normalised record has it. */
const CLUSTER_DEFAULTS = { transport: { type: "direct" }, loadBalancer: { type: "RoundRobin" } };

/** Routed = the table knew the host: neither "no route" (404) nor "no table" (503). */
async function routed(host: string): Promise<boolean> {
  const res = await viaWorker(`https://${host}/hello`);
  await res.body?.cancel();
  if (res.status === 503) {
    // 503 is also "no healthy endpoint"; only no_route_table means the table is missing.
    return false;
  }
  return res.status !== 404;
}

beforeEach(resetRoutes);
afterAll(resetRoutes);

describe("table source (worker, real KV)", () => {
  it("answers 503 no_route_table while nothing is published", async () => {
    const res = await viaWorker("https://one.test/hello");
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: string; requestId: string };
    expect(body.error).toBe("no_route_table");
    expect(body.requestId).toBeTruthy();
    expect((await status()).state).toBe("none");
  });

  it("serves a published table from the first request", async () => {
    const { version } = await publish(tableFor("one.test"));
    expect(await routed("one.test")).toBe(true);
    expect(await routed("two.test")).toBe(false);
    const s = await status();
    expect(s.state).toBe("serving");
    expect(s.table?.id).toBe(version.id);
    expect(s.table?.hash).toBe(version.hash);
    expect(s.table?.routes).toBe(1);
  });

  it("compiles the table once when a cold isolate gets several requests at once", async () => {
    const { version } = await publish(tableFor("one.test"));
    const logs = vi.spyOn(console, "log");
    try {
      const answers = await Promise.all(Array.from({ length: 8 }, () => routed("one.test")));
      expect(answers).toEqual(Array(8).fill(true));
      const loaded = logs.mock.calls.filter((args) =>
        String(args[0]).includes('"type":"route_table_loaded"'),
      );
      expect(loaded).toHaveLength(1);
      expect(String(loaded[0]![0])).toContain(version.id);
    } finally {
      logs.mockRestore();
    }
  });

  it("forwards to the pod the published table names", async () => {
    await publish(tableFor("one.test", "pod-b"));
    const res = await viaWorker("https://one.test/hello");
    expect(res.status).toBe(200);
    expect(((await res.json()) as { pod: string }).pod).toBe("pod-b");
  });

  it("picks up a newly published version in the background", async () => {
    const first = await publish(tableFor("one.test"));
    expect(await routed("one.test")).toBe(true);
    const second = await publish(tableFor("two.test"));
    const s = await waitForStatus((st) => st.table?.id === second.version.id);
    expect(s.refresh.upToDate).toBe(true);
    expect(s.lastLoadError).toBeNull();
    expect(await routed("two.test")).toBe(true);
    expect(await routed("one.test")).toBe(false);
    expect(first.version.version).toBeLessThan(second.version.version);
  });

  it("keeps the last good table when a version is not even JSON, and says so once", async () => {
    const good = await publish(tableFor("one.test"));
    expect(await routed("one.test")).toBe(true);
    const errors = vi.spyOn(console, "error");
    try {
      const bad = await writeRawVersion(tableFor("two.test"), {
        version: good.version.version + 1,
        body: '{"format":1, "id": "truncated',
      });
      const s = await waitForStatus((st) => st.lastLoadError?.version === bad);
      expect(s.lastLoadError?.kind).toBe("rejected");
      expect(s.table?.id).toBe(good.version.id);
      expect(s.refresh.upToDate).toBe(false);
      expect(s.rejectedVersions.map((r) => r.version)).toEqual([bad]);
      // Later refreshes (the interval is 1 s here) neither retry nor re-log an immutable bad version.
      for (let i = 0; i < 2; i++) {
        await sleep(1100);
        await status();
      }
      await sleep(100);
      const logged = errors.mock.calls.filter((args) => String(args[0]).includes(bad));
      expect(logged).toHaveLength(1);
      expect(await routed("one.test")).toBe(true);
      expect(await routed("two.test")).toBe(false);
    } finally {
      errors.mockRestore();
    }
  });

  it("keeps the last good table when a record's table does not match its hash", async () => {
    const good = await publish(tableFor("one.test"));
    expect(await routed("one.test")).toBe(true);
    const tampered = await writeRawVersion(tableFor("two.test"), {
      version: good.version.version + 1,
      hash: good.version.hash, // the hash of a different table
    });
    const s = await waitForStatus((st) => st.lastLoadError?.version === tampered);
    expect(s.lastLoadError?.message).toMatch(/hash/);
    expect(s.table?.id).toBe(good.version.id);
  });

  it("keeps the last good table when a version routes to clusters it does not have", async () => {
    const good = await publish(tableFor("one.test"));
    expect(await routed("one.test")).toBe(true);
    const orphan = {
      version: 1,
      providers: {},
      clusters: {},
      routes: [
        { id: "orphan", hostnames: ["two.test"], rules: [{ backendRefs: [{ name: "pods", weight: 1 }] }] },
      ],
    };
    const bad = await writeRawVersion(orphan, { version: good.version.version + 1 });
    const s = await waitForStatus((st) => st.lastLoadError?.version === bad);
    expect(s.lastLoadError?.kind).toBe("rejected");
    expect(s.lastLoadError?.message).toMatch(/pods/);
    expect(s.table?.id).toBe(good.version.id);
    expect(await routed("one.test")).toBe(true);
    expect(await routed("two.test")).toBe(false);
  });

  /**
   * A record written by hand past the CLI, hash and all, with `routes` beside a well-formed `pods`
   * cluster: the Worker must refuse it naming `problem`, and keep serving the last good table.
   */
  async function expectHandWrittenRefused(routes: unknown[], problem: string): Promise<void> {
    const good = await publish(tableFor("one.test"));
    expect(await routed("one.test")).toBe(true);
    const handWritten = {
      version: 1,
      providers: {},
      clusters: { pods: { endpoints: [{ url: podUrl("pod-a"), weight: 1 }], ...CLUSTER_DEFAULTS } },
      routes,
    };
    const bad = await writeRawVersion(handWritten, { version: good.version.version + 1 });
    const s = await waitForStatus((st) => st.lastLoadError?.version === bad);
    expect(s.lastLoadError?.kind).toBe("rejected");
    expect(s.lastLoadError?.message).toContain(problem);
    expect(s.table?.id).toBe(good.version.id);
    expect(await routed("one.test")).toBe(true);
    expect(await routed("two.test")).toBe(false);
  }

  it("keeps the last good table when a record written by hand, hash and all, is not well-shaped", async () => {
    // A string where a list belongs: it would compile into a route for the hosts "t", "w", "o", …
    await expectHandWrittenRefused(
      [{ id: "two", hostnames: "two.test", rules: [{ backendRefs: [{ name: "pods", weight: 1 }] }] }],
      "routes[0].hostnames: must be an array",
    );
  });

  it("keeps the last good table when a record written by hand carries a regex over the program-size cap", async () => {
    await expectHandWrittenRefused(
      [
        {
          id: "two",
          hostnames: ["two.test"],
          rules: [
            {
              // Issue 11: this stalled the isolate for 18 s on a 110-character path.
              matches: [
                {
                  path: {
                    type: "RegularExpression",
                    value: "/r/[a-z]{0,99}[a-z]{0,99}[a-z]{0,99}[a-z]{0,99}[a-z]{0,99}[a-z]{0,99}!",
                  },
                },
              ],
              backendRefs: [{ name: "pods", weight: 1 }],
            },
          ],
        },
      ],
      "routes[0].rules[0].matches[0].path.value: regular expression program size 1194 exceeds the limit of 100",
    );
  });

  it("skips a version with a field this Worker does not know (a newer CLI's) rather than half-apply it", async () => {
    await expectHandWrittenRefused(
      [
        {
          id: "two",
          hostnames: ["two.test"],
          rules: [{ backendRefs: [{ name: "pods", weight: 1 }], rateLimit: { requestsPerSecond: 5 } }],
        },
      ],
      "routes[0].rules[0].rateLimit: is not a field this Worker knows",
    );
  });

  it("waits, without giving up on it, for a version the pointer names before the record is visible", async () => {
    const good = await publish(tableFor("one.test"));
    expect(await routed("one.test")).toBe(true);
    // What a far-away location may see for a moment: the new pointer, not yet the record.
    const next = await publishTable(routesKv(), tableFor("two.test"));
    if (next.kind !== "published") throw new Error("expected a publish");
    const record = await routesKv().get(versionKey(next.version.id));
    await routesKv().delete(versionKey(next.version.id));
    const pending = await waitForStatus((st) => st.lastLoadError?.version === next.version.id);
    expect(pending.lastLoadError?.kind).toBe("pending");
    expect(pending.table?.id).toBe(good.version.id);
    // The record arrives: the next refresh loads it.
    await routesKv().put(versionKey(next.version.id), record!);
    const s = await waitForStatus((st) => st.table?.id === next.version.id);
    expect(s.lastLoadError).toBeNull();
    expect(await routed("two.test")).toBe(true);
  });

  it("follows a rollback, which only moves the pointer", async () => {
    const first = await publish(tableFor("one.test"));
    const second = await publish(tableFor("two.test"));
    await waitForStatus((st) => st.table?.id === second.version.id);
    const before = (await listVersions(routesKv())).versions.map((v) => v.id);

    const outcome = await rollbackTo(routesKv(), undefined, { activatedBy: "tests" });
    expect(outcome.kind).toBe("rolled-back");
    expect(outcome.target.id).toBe(first.version.id);
    expect((await listVersions(routesKv())).versions.map((v) => v.id)).toEqual(before);

    await waitForStatus((st) => st.table?.id === first.version.id);
    expect(await routed("one.test")).toBe(true);
    expect(await routed("two.test")).toBe(false);
  });

  it("leaves a consistent pointer when several publishers race", async () => {
    const hosts = ["a.test", "b.test", "c.test", "d.test", "e.test"];
    const outcomes = await Promise.all(
      hosts.map((h) => publishTable(routesKv(), tableFor(h), { publishedBy: h })),
    );
    const published = outcomes.map((o) => {
      if (o.kind !== "published") throw new Error(`expected a publish, got ${o.kind}`);
      return o.version;
    });
    // Every version was written in full, under its own key.
    expect(new Set(published.map((v) => v.id)).size).toBe(hosts.length);
    for (const v of published) expect((await loadVersion(routesKv(), v.id)).info.hash).toBe(v.hash);

    // The pointer names exactly one of them, and that one loads.
    const pointer = parseActivePointer((await routesKv().get(ACTIVE_KEY))!);
    if (!pointer.ok) throw new Error(pointer.reason);
    expect(published.map((v) => v.id)).toContain(pointer.value.id);
    const listed = await listVersions(routesKv());
    expect(listed.versions).toHaveLength(hosts.length);
    expect(listed.versions.filter((v) => v.active).map((v) => v.id)).toEqual([pointer.value.id]);

    const winner = hosts[published.findIndex((v) => v.id === pointer.value.id)]!;
    expect(await routed(winner)).toBe(true);
    expect((await status()).table?.id).toBe(pointer.value.id);
  });
});
