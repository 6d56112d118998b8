/**
 * The Cloudflare API adapter publishes, lists and reads back through the official SDK, against a
 * loopback stand-in for the four Workers KV endpoints it uses (the v4 envelope, multipart writes,
 * cursor pagination, 404 for a missing key, bearer-token auth) as the API documents them.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloudflareKvStore } from "../../src/cli/kv-cloudflare.ts";
import { ACTIVE_KEY } from "../../src/store/kv-layout.ts";
import { listVersions, publishTable, readActivePointer } from "../../src/store/publish.ts";
import { tableFor } from "../store/tables.ts";

const TOKEN = "test-api-token";
const PAGE = 2;

let server: Server;
let baseURL = "";
const values = new Map<string, { value: string; metadata?: unknown }>();
const seen: string[] = [];

function envelope(result: unknown, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ success: true, errors: [], messages: [], result, ...extra });
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    seen.push(`${req.method} ${url.pathname}`);
    const send = (status: number, body: string, type = "application/json") => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      return send(
        403,
        JSON.stringify({ success: false, errors: [{ code: 10000, message: "Authentication error" }] }),
      );
    }
    const m = /^\/client\/v4\/accounts\/acc\/storage\/kv\/namespaces\/ns\/(values\/(.+)|keys)$/.exec(
      url.pathname,
    );
    if (!m)
      return send(404, JSON.stringify({ success: false, errors: [{ code: 7003, message: "No route" }] }));
    if (m[1] === "keys") {
      const prefix = url.searchParams.get("prefix") ?? "";
      const names = [...values.keys()].filter((k) => k.startsWith(prefix)).sort();
      const start = Number(url.searchParams.get("cursor") || 0);
      const page = names.slice(start, start + PAGE);
      const next = start + PAGE < names.length ? String(start + PAGE) : "";
      return send(
        200,
        envelope(
          page.map((name) => ({ name, metadata: values.get(name)!.metadata })),
          { result_info: { count: page.length, cursor: next } },
        ),
      );
    }
    const key = decodeURIComponent(m[2]!);
    if (req.method === "GET") {
      const found = values.get(key);
      if (!found) {
        return send(
          404,
          JSON.stringify({ success: false, errors: [{ code: 10009, message: "get: 'key not found'" }] }),
        );
      }
      return send(200, found.value, "application/octet-stream");
    }
    if (req.method === "PUT") {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const form = await new Request("http://x", {
        method: "PUT",
        headers: { "content-type": String(req.headers["content-type"]) },
        body: Buffer.concat(chunks),
      }).formData();
      const value = form.get("value");
      const metadata = form.get("metadata");
      values.set(key, {
        value: typeof value === "string" ? value : await (value as Blob).text(),
        ...(typeof metadata === "string" ? { metadata: JSON.parse(metadata) } : {}),
      });
      return send(200, envelope(null));
    }
    if (req.method === "DELETE") {
      values.delete(key);
      return send(200, envelope(null));
    }
    send(405, JSON.stringify({ success: false, errors: [{ code: 10405, message: "method" }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("CloudflareKvStore", () => {
  it("publishes a version then the pointer, lists across pages and reads back", async () => {
    const kv = new CloudflareKvStore({
      apiToken: TOKEN,
      accountId: "acc",
      namespaceId: "ns",
      baseURL,
      maxRetries: 0,
    });
    expect(await kv.get(ACTIVE_KEY)).toBeNull();
    const ids: string[] = [];
    for (const host of ["a.example.com", "b.example.com", "c.example.com"]) {
      const outcome = await publishTable(kv, tableFor(host), { publishedBy: "controller" });
      if (outcome.kind !== "published") throw new Error(outcome.kind);
      ids.push(outcome.version.id);
    }
    // Three versions and a pointer: more than one page of the listing.
    const history = await listVersions(kv);
    expect(history.versions.map((v) => v.id)).toEqual([...ids].reverse());
    expect(history.versions[0]).toMatchObject({ active: true, routes: 1, publishedBy: "controller" });
    expect((await readActivePointer(kv))?.id).toBe(ids[2]);
    expect(seen.filter((s) => s.startsWith("GET") && s.endsWith("/keys")).length).toBeGreaterThan(1);

    await kv.delete(ACTIVE_KEY);
    expect(await kv.get(ACTIVE_KEY)).toBeNull();
  });

  it("says which call failed, without the token", async () => {
    const kv = new CloudflareKvStore({
      apiToken: "wrong",
      accountId: "acc",
      namespaceId: "ns",
      baseURL,
      maxRetries: 0,
    });
    const failure = await kv.get(ACTIVE_KEY).catch((e: unknown) => e as Error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/^Cloudflare API get tables\/active failed: 403/);
    expect((failure as Error).message).not.toContain("wrong");
  });
});
