/**
 * The worker's table source against Miniflare's real KV, through the real worker: what is served
 * after a publish, a background refresh, a damaged version, a rollback and a race of publishers.
 */
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { RouteTableInput } from "../../src/config/schema.ts";
import {
  ACTIVE_KEY,
  parseActivePointer,
  tableHash,
  versionId,
  versionKey,
} from "../../src/store/kv-layout.ts";
import { listVersions, loadVersion, publishTable, rollbackTo } from "../../src/store/publish.ts";
import { MAX_VERSION_READS, resetTableSourceForTests } from "../../src/store/table-source.ts";
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
          rules: [{ backendRefs: [{ name: "pods", weight: 1 }], circuitBreaker: { maxRequests: 5 } }],
        },
      ],
      "routes[0].rules[0].circuitBreaker: is not a field this Worker knows",
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

/** A table that passes the record's hash check but refers to a cluster it lacks (check_failed). */
const ORPHAN_TABLE = {
  version: 1,
  providers: {},
  clusters: {},
  routes: [
    { id: "orphan", hostnames: ["two.test"], rules: [{ backendRefs: [{ name: "pods", weight: 1 }] }] },
  ],
};

/** The gateway's own 503 answer, with its body. */
async function unavailable(host: string): Promise<{ error: string; message: string; requestId: string }> {
  const res = await viaWorker(`https://${host}/hello`);
  expect(res.status).toBe(503);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await res.json()) as { error: string; message: string; requestId: string };
  expect(body.requestId).toBeTruthy();
  expect(res.headers.get("x-request-id")).toBe(body.requestId);
  return body;
}

describe("a new isolate when the pointer names a version it cannot load", () => {
  /** Publish a good table, then point at a bad one, then start a new isolate. */
  async function goodThenBad(bad: (goodVersion: number) => Promise<string>) {
    const good = await publish(tableFor("one.test"));
    const badId = await bad(good.version.version);
    resetTableSourceForTests(); // a new isolate: no last good table of its own
    return { good: good.version.id, bad: badId };
  }

  it("falls back to the last good version when the one named does not match its hash", async () => {
    const { good, bad } = await goodThenBad((v) =>
      writeRawVersion(tableFor("two.test"), { version: v + 1, hash: "0".repeat(64) }),
    );
    expect(await routed("one.test")).toBe(true);
    expect(await routed("two.test")).toBe(false);
    const s = await status();
    expect(s.state).toBe("serving");
    expect(s.source).toMatchObject({
      state: "fallback",
      wanted: bad,
      serving: good,
      reason: "hash_mismatch",
    });
    expect(s.source.walk).toEqual([
      { version: bad, outcome: "hash_mismatch" },
      { version: good, outcome: "served" },
    ]);
    expect(s.source.summary).toContain(`serving ${good} instead of ${bad} (hash_mismatch`);
    expect(s.refresh.upToDate).toBe(false);
  });

  it("falls back when the one named fails the Worker's checks", async () => {
    const { good, bad } = await goodThenBad((v) => writeRawVersion(ORPHAN_TABLE, { version: v + 1 }));
    expect(await routed("one.test")).toBe(true);
    const s = await status();
    expect(s.source).toMatchObject({ state: "fallback", wanted: bad, serving: good, reason: "check_failed" });
    expect(s.source.reasonMessage).toMatch(/pods/);
  });

  it("falls back while the one named is not visible yet, and moves to it when it arrives", async () => {
    const good = await publish(tableFor("one.test"));
    const next = await publish(tableFor("two.test"));
    const record = await routesKv().get(versionKey(next.version.id));
    await routesKv().delete(versionKey(next.version.id));
    resetTableSourceForTests();

    expect(await routed("one.test")).toBe(true);
    const pending = await status();
    expect(pending.source).toMatchObject({
      state: "fallback",
      wanted: next.version.id,
      serving: good.version.id,
      reason: "version_missing",
    });
    // Not visible is not bad: it is retried, and served once it arrives.
    await routesKv().put(versionKey(next.version.id), record!);
    const s = await waitForStatus((st) => st.table?.id === next.version.id);
    expect(s.source).toMatchObject({ state: "current", wanted: next.version.id, reason: null });
    expect(await routed("two.test")).toBe(true);
  });

  it("skips broken versions in the history too, newest first", async () => {
    const good = await publish(tableFor("one.test"));
    const older = await writeRawVersion(ORPHAN_TABLE, { version: good.version.version + 1 });
    const newest = await writeRawVersion(tableFor("two.test"), {
      version: good.version.version + 2,
      hash: "1".repeat(64),
    });
    resetTableSourceForTests();
    expect(await routed("one.test")).toBe(true);
    expect((await status()).source.walk).toEqual([
      { version: newest, outcome: "hash_mismatch" },
      { version: older, outcome: "check_failed" },
      { version: good.version.id, outcome: "served" },
    ]);
  });

  it(`reads at most ${MAX_VERSION_READS} versions, then answers 503 route_table_unavailable`, async () => {
    const good = await publish(tableFor("one.test"));
    const broken: string[] = [];
    for (let i = 1; i <= MAX_VERSION_READS; i++) {
      broken.unshift(await writeRawVersion(ORPHAN_TABLE, { version: good.version.version + i }));
    }
    resetTableSourceForTests();
    const body = await unavailable("one.test");
    expect(body.error).toBe("route_table_unavailable");
    expect(body.message).toContain(broken[0]);
    expect(body.message).toContain("check_failed");
    const s = await status();
    expect(s.state).toBe("none");
    expect(s.source).toMatchObject({ state: "unavailable", wanted: broken[0], serving: null });
    // The good version is one step too deep: the walk stopped at its bound, not at the history's end.
    expect(s.source.walk.map((w) => w.version)).toEqual(broken);
  });

  it("answers route_table_unavailable, not no_route_table, when the only version is broken", async () => {
    const bad = await writeRawVersion(tableFor("one.test"), {
      version: 1_800_000_000_000,
      hash: "2".repeat(64),
    });
    resetTableSourceForTests();
    const body = await unavailable("one.test");
    expect(body).toMatchObject({ error: "route_table_unavailable" });
    expect(body.message).toBe(
      `route table version ${bad} cannot be loaded (hash_mismatch); see the status surface`,
    );
    expect((await status()).source).toMatchObject({ state: "unavailable", reason: "hash_mismatch" });
  });

  it("says the pointer is damaged rather than that nothing was published", async () => {
    await publish(tableFor("one.test"));
    await routesKv().put(ACTIVE_KEY, '{"format":1,"id":');
    resetTableSourceForTests();
    const body = await unavailable("one.test");
    expect(body.error).toBe("route_table_unavailable");
    expect(body.message).toContain("pointer_damaged");
    expect((await status()).source).toMatchObject({
      state: "unavailable",
      wanted: null,
      reason: "pointer_damaged",
    });
  });

  it("says the pointer is missing when versions are stored without one", async () => {
    await publish(tableFor("one.test"));
    await routesKv().delete(ACTIVE_KEY);
    resetTableSourceForTests();
    const body = await unavailable("one.test");
    expect(body.error).toBe("route_table_unavailable");
    expect(body.message).toContain("pointer_missing");
    expect((await status()).source.state).toBe("unavailable");
  });

  it("reads the pointer and one version, nothing more, when the version in force loads", async () => {
    await publish(tableFor("zero.test"));
    const good = await publish(tableFor("one.test"));
    resetTableSourceForTests();
    expect(await routed("one.test")).toBe(true);
    const s = await status();
    expect(s.source).toMatchObject({ state: "current", wanted: good.version.id, serving: good.version.id });
    expect(s.source.walk).toEqual([{ version: good.version.id, outcome: "served" }]);
  });
});

describe("a warm isolate when the pointer names a version it cannot load", () => {
  it("keeps its table when the pointer is deleted, and does not claim it is current", async () => {
    const good = await publish(tableFor("one.test"));
    expect(await routed("one.test")).toBe(true);
    await routesKv().delete(ACTIVE_KEY);
    const s = await waitForStatus((st) => st.source.reason !== null);
    expect(s.source).toMatchObject({
      state: "fallback",
      wanted: null,
      serving: good.version.id,
      reason: "pointer_missing",
    });
    expect(await routed("one.test")).toBe(true);
  });

  it("keeps its table and reports wanted, serving and why", async () => {
    const good = await publish(tableFor("one.test"));
    expect(await routed("one.test")).toBe(true);
    const bad = await writeRawVersion(tableFor("two.test"), {
      version: good.version.version + 1,
      hash: "3".repeat(64),
    });
    const s = await waitForStatus((st) => st.source.wanted === bad);
    expect(s.source).toMatchObject({
      state: "fallback",
      wanted: bad,
      serving: good.version.id,
      reason: "hash_mismatch",
    });
    expect(s.rejectedVersions).toEqual([{ version: bad, code: "hash_mismatch", reason: expect.any(String) }]);
    expect(await routed("one.test")).toBe(true);
  });
});

describe("a record whose id is not versionId(version, hash)", () => {
  it("is refused once, and neither re-read nor recompiled at later refreshes", async () => {
    const good = await publish(tableFor("one.test"));
    expect(await routed("one.test")).toBe(true);
    const table = {
      ...ORPHAN_TABLE,
      clusters: { pods: { endpoints: [{ url: podUrl("pod-a"), weight: 1 }], ...CLUSTER_DEFAULTS } },
    };
    // Key, record and pointer agree on the id; the id names another number than the record holds.
    const hash = await tableHash(table);
    const forged = versionId(good.version.version + 5, hash);
    const logs = vi.spyOn(console, "log");
    const errors = vi.spyOn(console, "error");
    try {
      await writeRawVersion(table, { version: good.version.version + 1, id: forged });
      const s = await waitForStatus((st) => st.source.wanted === forged && st.source.reason !== null);
      expect(s.source).toMatchObject({ state: "fallback", serving: good.version.id, reason: "id_mismatch" });
      for (let i = 0; i < 2; i++) {
        await sleep(1100);
        await status();
      }
      await sleep(100);
      const loaded = logs.mock.calls.filter((args) =>
        String(args[0]).includes('"type":"route_table_loaded"'),
      );
      expect(loaded).toHaveLength(0);
      expect(errors.mock.calls.filter((args) => String(args[0]).includes(forged))).toHaveLength(1);
      expect(await routed("two.test")).toBe(false);
    } finally {
      logs.mockRestore();
      errors.mockRestore();
    }
  });
});
