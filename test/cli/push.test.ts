import { existsSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openLocalKv } from "../../src/cli/kv-local.ts";
import { listVersions } from "../../src/store/publish.ts";
import { tableFor } from "../store/tables.ts";
import { gatehouse, STAGING_WRANGLER_TOML, type Workspace, workspace } from "./store-cli.ts";

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
});
afterEach(() => ws.remove());

async function storedVersions(state: string) {
  const kv = await openLocalKv({ remote: false, persistTo: state });
  try {
    return await listVersions(kv.store);
  } finally {
    await kv.close();
  }
}

describe("gatehouse push", () => {
  it("validates, publishes a version and makes it active", async () => {
    const file = await ws.file("routes.yaml", tableFor("a.example.com"));
    const run = await gatehouse("push", file, "--persist-to", ws.state, "--message", "first cut");
    expect(run.code).toBe(0);
    expect(run.err).toBe("");
    const [published, active] = run.out.trim().split("\n");
    expect(published).toMatch(/^published \d{13}-[0-9a-f]{12} \(1 route, 1 rule\) to local state in /);
    expect(active).toMatch(/\(no version was active before\)$/);

    const { active: pointer, versions } = await storedVersions(ws.state);
    expect(versions).toHaveLength(1);
    expect(pointer?.id).toBe(versions[0]?.id);
    expect(versions[0]).toMatchObject({ active: true, message: "first cut", routes: 1 });
    expect(published).toContain(versions[0]!.id);
  });

  it("writes nothing for a table identical to the active one", async () => {
    const file = await ws.file("routes.yaml", tableFor("a.example.com"));
    expect((await gatehouse("push", file, "--persist-to", ws.state)).code).toBe(0);
    // The same table written differently (JSON, defaults spelled out) is the same table.
    const same = await ws.file(
      "same.json",
      JSON.stringify({
        version: 1,
        routes: [
          { id: "a", hostnames: ["a.example.com"], rules: [{ backendRefs: [{ name: "pods", weight: 1 }] }] },
        ],
        clusters: { pods: { endpoints: [{ url: "http://127.0.0.1:9001", weight: 1 }] } },
      }),
    );
    const again = await gatehouse("push", same, "--persist-to", ws.state);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(
      /^unchanged: .* is identical to the active version \d{13}-[0-9a-f]{12}; nothing was written/,
    );
    expect((await storedVersions(ws.state)).versions).toHaveLength(1);
  });

  it("refuses an invalid table, printing every problem, and never touches KV", async () => {
    const bad = await ws.file("bad.yaml", {
      version: 1,
      clusters: {},
      routes: [
        { id: "a", hostnames: ["a.example.com"], rules: [{ backendRefs: [{ name: "ordrs" }] }] },
        { id: "b", hostnames: ["not a host name"], rules: [{ backendRefs: [] }] },
      ],
    });
    const run = await gatehouse("push", bad, "--persist-to", ws.state);
    expect(run.code).toBe(1);
    expect(run.out).toBe("");
    const lines = run.err.trim().split("\n");
    expect(lines).toContainEqual(
      expect.stringMatching(/^routes\[0\]\.rules\[0\]\.backendRefs\[0\]\.name: .*ordrs/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^routes\[1\]\.hostnames\[0\]: /));
    expect(lines.at(-1)).toBe(`${bad}: nothing was written`);
    // Not one byte of local state was created.
    expect(existsSync(ws.state)).toBe(false);
  });

  it("leaves published history untouched when a later push is refused", async () => {
    const good = await ws.file("good.yaml", tableFor("a.example.com"));
    await gatehouse("push", good, "--persist-to", ws.state);
    const before = await storedVersions(ws.state);
    const bad = await ws.file("bad.yaml", "version: 1\nroutes: [{ id: a, rules: [] }]\n");
    expect((await gatehouse("push", bad, "--persist-to", ws.state)).code).toBe(1);
    expect(await storedVersions(ws.state)).toEqual(before);
  });

  it("names the file when it cannot be read or parsed", async () => {
    const missing = await gatehouse("push", `${ws.dir}/nope.yaml`, "--persist-to", ws.state);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/nope\.yaml: cannot read/);
    const broken = await ws.file("broken.yaml", "version: 1\nroutes: [\n");
    const run = await gatehouse("push", broken, "--persist-to", ws.state);
    expect(run.code).toBe(1);
    expect(run.err).toContain("broken.yaml");
  });

  it("answers usage errors with exit 2", async () => {
    const file = await ws.file("routes.yaml", tableFor("a.example.com"));
    expect((await gatehouse("push")).code).toBe(2);
    expect((await gatehouse("push", file, "--local", "--remote")).code).toBe(2);
    const remoteDir = await gatehouse("push", file, "--remote", "--persist-to", ws.state);
    expect(remoteDir.code).toBe(2);
    expect(remoteDir.err).toMatch(/--persist-to only applies to local state/);
    expect((await gatehouse("push", file, "--bogus")).code).toBe(2);
  });

  it("concurrent pushes to the same local state all publish, and leave a pointer to one whole version", async () => {
    const hosts = ["a", "b", "c", "d"].map((h) => `${h}.example.com`);
    const files = await Promise.all(hosts.map((h, i) => ws.file(`t${i}.yaml`, tableFor(h))));
    const runs = await Promise.all(files.map((f) => gatehouse("push", f, "--persist-to", ws.state)));
    for (const run of runs) expect(run, run.err).toMatchObject({ code: 0 });
    const ids = runs.map((r) => /published (\d{13}-[0-9a-f]{12})/.exec(r.out)?.[1]);

    const { active, versions } = await storedVersions(ws.state);
    expect(versions.map((v) => v.id).sort()).toEqual([...ids].sort());
    expect(ids).toContain(active?.id);
    expect(versions.filter((v) => v.active).map((v) => v.id)).toEqual([active?.id]);
  });

  it("--env selects the wrangler environment's ROUTES namespace, and only that one", async () => {
    const config = await ws.file("wrangler.toml", STAGING_WRANGLER_TOML);
    const file = await ws.file("routes.yaml", tableFor("a.example.com"));
    const target = ["--config", config, "--persist-to", ws.state];
    const pushed = await gatehouse("push", file, ...target, "--env", "staging");
    expect(pushed.code).toBe(0);
    expect(pushed.out).toContain('(namespace "staging-routes")');

    const staging = await gatehouse("versions", ...target, "-e", "staging", "--json");
    expect((JSON.parse(staging.out) as { versions: unknown[] }).versions).toHaveLength(1);
    const top = await gatehouse("versions", ...target);
    expect(top.out).toMatch(/^no versions published yet in local state in .*\(namespace "ROUTES"\)/);

    const missing = await gatehouse("push", file, ...target, "--env", "nope");
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/No environment found in configuration with name "nope"/);
  });

  it("fails with a clear message when the wrangler environment has no ROUTES binding", async () => {
    const file = await ws.file("routes.yaml", tableFor("a.example.com"));
    const config = await ws.file(
      "wrangler.toml",
      'name = "x"\nmain = "w.js"\ncompatibility_date = "2026-11-01"\n',
    );
    const run = await gatehouse("push", file, "--config", config, "--persist-to", ws.state);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/no kv_namespaces entry with binding "ROUTES"/);
  });
});
