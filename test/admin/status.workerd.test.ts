/**
 * The status surface on the admin host, through the real worker with a table from real KV.
 */
import { env } from "cloudflare:workers";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { handleAdmin } from "../../src/admin/index.ts";
import type { Env } from "../../src/gateway/env.ts";
import { resetTableSourceForTests } from "../../src/store/table-source.ts";
import { jwks, makeKey, mint } from "../auth/tokens.ts";
import {
  ADMIN_HOST,
  ADMIN_TOKEN,
  publish,
  resetRoutes,
  type StatusBody,
  viaWorker,
  writeRawVersion,
} from "../store/kv-test-helpers.ts";
import { podRequests, podUrl, putJwks, resetPod } from "../support/origins.ts";

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

function sampleTable() {
  return {
    version: 1 as const,
    providers: { accounts: { issuer: "https://auth.example.com/", secret: { binding: "TEST_HMAC_SECRET" } } },
    clusters: {
      orders: { endpoints: [{ url: podUrl("pod-a"), name: "pod-a" }, { url: podUrl("pod-b") }] },
      vpc: {
        endpoints: [{ url: "https://orders.internal" }],
        transport: { type: "vpc" as const, binding: "NO_SUCH_VPC" },
      },
    },
    routes: [
      {
        id: "orders-api",
        hostnames: ["api.example.com"],
        rules: [
          {
            name: "read",
            matches: [
              {
                path: { type: "PathPrefix" as const, value: "/orders" },
                headers: [{ name: "x-probe", value: "<script>alert(1)</script>" }],
              },
            ],
            backendRefs: [
              { name: "orders", weight: 9 },
              { name: "vpc", weight: 1 },
            ],
            auth: { provider: "accounts", audiences: ["orders"] },
          },
        ],
      },
      // A route that claims the admin host must not shadow the status surface.
      { id: "greedy", hostnames: [ADMIN_HOST], rules: [{ backendRefs: [{ name: "orders" }] }] },
    ],
  };
}

beforeEach(resetRoutes);
afterAll(resetRoutes);

describe("admin status surface", () => {
  it("needs the bearer token: none gives a challenge, a wrong one invalid_token", async () => {
    const none = await viaWorker(`https://${ADMIN_HOST}/status`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="gatehouse-admin"');
    expect(((await none.json()) as { error: string }).error).toBe("admin_unauthorized");

    for (const header of [
      `Bearer ${ADMIN_TOKEN}x`,
      "Bearer ",
      `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}`,
      ADMIN_TOKEN,
    ]) {
      const wrong = await viaWorker(`https://${ADMIN_HOST}/`, { headers: { authorization: header } });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
      await wrong.body?.cancel();
    }
  });

  it("does not exist without ADMIN_TOKEN", async () => {
    const request = new Request(`https://${ADMIN_HOST}/status`, { headers: auth });
    const res = await handleAdmin(request, { ...(env as unknown as Env), ADMIN_TOKEN: undefined }, undefined);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toBe("admin_disabled");
  });

  it("is read-only and serves only / and /status", async () => {
    const post = await viaWorker(`https://${ADMIN_HOST}/status`, { method: "POST", headers: auth });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    await post.body?.cancel();
    const other = await viaWorker(`https://${ADMIN_HOST}/admin/../secrets`, { headers: auth });
    expect(other.status).toBe(404);
    await other.body?.cancel();
  });

  it("reports no table before anything is published", async () => {
    const res = await viaWorker(`https://${ADMIN_HOST}/status`, { headers: auth });
    expect(res.status).toBe(200);
    const body = (await res.json()) as StatusBody;
    expect(body.state).toBe("none");
    expect(body.source).toMatchObject({ state: "unpublished", wanted: null, serving: null, reason: null });
    expect(body.table).toBeNull();
    const page = await viaWorker(`https://${ADMIN_HOST}/`, { headers: auth });
    expect(await page.text()).toContain("No route table.");
  });

  it("says which version it wants, which it serves and why, in JSON and on the page", async () => {
    const { version } = await publish(sampleTable());
    const bad = await writeRawVersion(sampleTable(), { version: version.version + 1, hash: "4".repeat(64) });
    resetTableSourceForTests(); // a new isolate, which falls back to the version before the bad one
    const body = (await (
      await viaWorker(`https://${ADMIN_HOST}/status`, { headers: auth })
    ).json()) as StatusBody;
    expect(body.source).toMatchObject({
      state: "fallback",
      wanted: bad,
      serving: version.id,
      reason: "hash_mismatch",
    });
    const page = await (await viaWorker(`https://${ADMIN_HOST}/`, { headers: auth })).text();
    expect(page).toContain("Serving a fallback.");
    expect(page).toContain(`serving ${version.id} instead of ${bad} (hash_mismatch`);
  });

  it("tells an unloadable table from an unpublished one on the page", async () => {
    const bad = await writeRawVersion(sampleTable(), { version: 1_800_000_000_000, hash: "5".repeat(64) });
    resetTableSourceForTests();
    const page = await (await viaWorker(`https://${ADMIN_HOST}/`, { headers: auth })).text();
    expect(page).toContain("No loadable route table.");
    expect(page).toContain("route_table_unavailable");
    expect(page).toContain(bad);
    expect(page).not.toContain("No route table.");
  });

  it("answers /status with the version in force, counts, clusters, key sets and missing bindings", async () => {
    const { version } = await publish(sampleTable());
    const res = await viaWorker(`https://${ADMIN_HOST}/status`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as StatusBody & { table: { publishedAt: string } };
    expect(body.state).toBe("serving");
    expect(body.table).toMatchObject({
      id: version.id,
      version: version.version,
      hash: version.hash,
      routes: 2,
      rules: 2,
    });
    expect(body.table?.publishedAt).toBe(version.publishedAt);
    expect(Date.parse(body.table!.loadedAt)).not.toBeNaN();
    expect(body.refresh).toMatchObject({ intervalSeconds: 1, pointer: version.id, upToDate: true });
    expect(body.lastLoadError).toBeNull();
    expect(body.clusters.map((c) => c.name)).toEqual(["orders", "vpc"]);
    expect(body.clusters[0]?.endpoints.map((e) => [e.url, e.health])).toEqual([
      [podUrl("pod-a"), "healthy"],
      [podUrl("pod-b"), "healthy"],
    ]);
    expect(body.providers).toMatchObject([{ provider: "accounts", kind: "secret", state: "ready" }]);
  });

  it("lists the bindings the table names but the worker lacks", async () => {
    await publish(sampleTable());
    const body = (await (await viaWorker(`https://${ADMIN_HOST}/status`, { headers: auth })).json()) as {
      missingBindings: { binding: string }[];
    };
    // The transport module reports these (issue 6); a stub reports none.
    expect(body.missingBindings.map((m) => m.binding)).toContain("NO_SUCH_VPC");
  });

  it("renders a self-contained page with the routes as a table, every value escaped", async () => {
    await publish(sampleTable());
    const res = await viaWorker(`https://${ADMIN_HOST}/`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const page = await res.text();
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('<td rowspan="1"><strong>orders-api</strong></td>');
    expect(page).toContain("orders=9, vpc=1");
    expect(page).toContain("accounts aud=[orders]");
    // The header value from the table is text, never markup.
    expect(page).not.toContain("<script>");
    expect(page).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    // No external assets of any kind.
    expect(page).not.toMatch(/(src|href)=/);
    expect(page).toMatch(/class="pill (ok|bad|warn|idle)"/);
  });

  it("cannot be shadowed: exact, wildcard and catch-all routes for the admin host never see its requests", async () => {
    await resetPod("pod-a");
    const greedy = (id: string, hostnames?: string[]) => ({
      id,
      ...(hostnames ? { hostnames } : {}),
      rules: [
        { matches: [{ path: { type: "PathPrefix" as const, value: "/" } }], backendRefs: [{ name: "pods" }] },
      ],
    });
    await publish({
      version: 1,
      clusters: { pods: { endpoints: [{ url: podUrl("pod-a") }] } },
      routes: [greedy("exact", [ADMIN_HOST]), greedy("wildcard", ["*.gatehouse.test"]), greedy("catch-all")],
    });
    // The host as clients may spell it: any case, a trailing dot, an explicit port.
    for (const host of [ADMIN_HOST, ADMIN_HOST.toUpperCase(), `${ADMIN_HOST}.`, `${ADMIN_HOST}:443`]) {
      for (const path of ["/status", "/", "/anything/else"]) {
        const anonymous = await viaWorker(`https://${host}${path}`);
        expect(anonymous.status).toBe(401);
        expect(((await anonymous.json()) as { error: string }).error).toBe("admin_unauthorized");
      }
      const authorised = await viaWorker(`https://${host}/status`, { headers: auth });
      expect(((await authorised.json()) as StatusBody).state).toBe("serving");
    }
    expect(await podRequests("pod-a")).toEqual([]);
    // The same routes do serve the other hosts they name.
    const other = await viaWorker("https://other.gatehouse.test/x");
    expect(other.status).toBe(200);
    await other.body?.cancel();
    expect(await podRequests("pod-a")).toHaveLength(1);
  });

  it("shows a remote key set's state as this isolate sees it: unfetched, then ready with its times", async () => {
    const key = await makeKey("ES256");
    const uri = await putJwks(`admin-status-${Date.now()}`, jwks(key), { cacheControl: "max-age=600" });
    await publish({
      version: 1,
      providers: { idp: { issuer: "https://issuer.test/", audiences: ["orders"], remoteJWKS: { uri } } },
      clusters: { pods: { endpoints: [{ url: podUrl("pod-a") }] } },
      routes: [
        {
          id: "p",
          hostnames: ["api.test"],
          rules: [{ backendRefs: [{ name: "pods" }], auth: { provider: "idp" } }],
        },
      ],
    });
    const providers = async () =>
      (
        (await (await viaWorker(`https://${ADMIN_HOST}/status`, { headers: auth })).json()) as {
          providers: Record<string, unknown>[];
        }
      ).providers;
    expect(await providers()).toEqual([
      expect.objectContaining({ provider: "idp", kind: "remoteJWKS", state: "unfetched", keys: 0, uri }),
    ]);
    // The first protected request makes this isolate fetch the set.
    const token = await mint(key, { issuer: "https://issuer.test/", audience: "orders" });
    const served = await viaWorker("https://api.test/", { headers: { authorization: `Bearer ${token}` } });
    expect(served.status).toBe(200);
    await served.body?.cancel();
    const [idp] = await providers();
    expect(idp).toMatchObject({ kind: "remoteJWKS", state: "ready", keys: 1, algorithms: ["ES256"], uri });
    const freshFor = Date.parse(idp!.freshUntil as string) - Date.parse(idp!.fetchedAt as string);
    expect(freshFor).toBe(600_000);
    expect(idp).not.toHaveProperty("error");
  });

  it("answers HEAD without a body", async () => {
    const res = await viaWorker(`https://${ADMIN_HOST}/status`, { method: "HEAD", headers: auth });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });
});
