import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openLocalKv } from "../../src/cli/kv-local.ts";
import { ACTIVE_KEY, versionKey } from "../../src/store/kv-layout.ts";
import type { KvStore } from "../../src/store/kv-store.ts";
import { tableFor } from "../store/tables.ts";
import { gatehouse, type Workspace, workspace } from "./store-cli.ts";

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
});
afterEach(() => ws.remove());

const ID = /\d{13}-[0-9a-f]{12}/;

async function pushHosts(...hostSets: string[][]): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, hosts] of hostSets.entries()) {
    const file = await ws.file(`v${i}.yaml`, tableFor(...hosts));
    const run = await gatehouse("push", file, "--persist-to", ws.state, "-m", `change ${i}`);
    expect(run.code).toBe(0);
    ids.push(ID.exec(run.out)![0]);
  }
  return ids;
}

/** The versions table as rows of cells; the first row is the header. */
async function versionRows(): Promise<string[][]> {
  const run = await gatehouse("versions", "--persist-to", ws.state);
  expect(run.code).toBe(0);
  return run.out
    .trimEnd()
    .split("\n")
    .map((l) => l.split(/\s{2,}/));
}

function activeId(rows: string[][]): string | undefined {
  return rows.find((r) => r[0] === "*")?.[1];
}

describe("gatehouse versions", () => {
  it("says when nothing is published", async () => {
    const run = await gatehouse("versions", "--persist-to", ws.state);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^no versions published yet in local state in /);
  });

  it("lists history newest first with the active version marked", async () => {
    const [v1, v2] = await pushHosts(["a.example.com"], ["a.example.com", "b.example.com"]);
    const rows = await versionRows();
    expect(rows[0]?.join(" ")).toMatch(/^\s*VERSION PUBLISHED BY ROUTES MESSAGE$/);
    expect(rows.slice(1).map((r) => r.find((c) => ID.test(c)))).toEqual([v2, v1]);
    expect(activeId(rows)).toBe(v2);
    expect(rows[1]).toContain("2");
    expect(rows[1]).toContain("change 1");

    const json = await gatehouse("versions", "--persist-to", ws.state, "--json");
    const parsed = JSON.parse(json.out) as { active: string; versions: { id: string; active: boolean }[] };
    expect(parsed.active).toBe(v2);
    expect(parsed.versions.map((v) => [v.id, v.active])).toEqual([
      [v2, true],
      [v1, false],
    ]);
  });
});

describe("gatehouse rollback", () => {
  it("moves the pointer back one version per call, writing no new version", async () => {
    const [v1, v2, v3] = await pushHosts(["a.example.com"], ["b.example.com"], ["c.example.com"]);
    const first = await gatehouse("rollback", "--persist-to", ws.state);
    expect(first.code).toBe(0);
    expect(first.out.trim()).toBe(`rolled back: active is now ${v2} (was ${v3})`);
    expect(activeId(await versionRows())).toBe(v2);

    expect((await gatehouse("rollback", "--persist-to", ws.state)).out).toContain(`active is now ${v1}`);
    const none = await gatehouse("rollback", "--persist-to", ws.state);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/no version older than the active one/);

    // Forward again by number; the list never changed.
    const forward = await gatehouse("rollback", v3!.split("-")[0]!, "--persist-to", ws.state);
    expect(forward.code).toBe(0);
    const rows = await versionRows();
    expect(activeId(rows)).toBe(v3);
    expect(rows).toHaveLength(4);
  });

  it("says so when the version is already active", async () => {
    const [v1] = await pushHosts(["a.example.com"]);
    const run = await gatehouse("rollback", v1!, "--persist-to", ws.state);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^unchanged: .* is already active/);
  });

  it("refuses unknown versions and empty namespaces with exit 1", async () => {
    const empty = await gatehouse("rollback", "--persist-to", ws.state);
    expect(empty.code).toBe(1);
    expect(empty.err).toMatch(/nothing has been published yet/);
    await pushHosts(["a.example.com"]);
    const unknown = await gatehouse("rollback", "42", "--persist-to", ws.state);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/no version "42"/);
    expect((await gatehouse("rollback", "1", "2", "--persist-to", ws.state)).code).toBe(2);
  });
});

/** Change the workspace's local KV directly, as a hand edit or a partial propagation would. */
async function editKv(edit: (kv: KvStore) => Promise<void>): Promise<void> {
  const kv = await openLocalKv({ remote: false, persistTo: ws.state });
  try {
    await edit(kv.store);
  } finally {
    await kv.close();
  }
}

/** Break a stored record without touching its hash: what the worker refuses as hash_mismatch. */
async function tamper(id: string): Promise<void> {
  await editKv(async (kv) => {
    const record = JSON.parse((await kv.get(versionKey(id)))!);
    record.table.routes[0].hostnames = ["evil.example.com"];
    await kv.put(versionKey(id), JSON.stringify(record));
  });
}

describe("gatehouse rollback repairs a damaged pointer", () => {
  it("replaces an unparseable pointer with the newest version that loads", async () => {
    const [v1, v2] = await pushHosts(["a.example.com"], ["b.example.com"]);
    await tamper(v2!);
    await editKv((kv) => kv.put(ACTIVE_KEY, "{not json"));

    const listed = await gatehouse("versions", "--persist-to", ws.state);
    expect(listed.code).toBe(0);
    expect(listed.err).toMatch(/warning: the active pointer \(tables\/active\) is damaged: not JSON/);
    expect(activeId(await versionRows())).toBeUndefined();

    const run = await gatehouse("rollback", "--persist-to", ws.state);
    expect(run.code).toBe(0);
    expect(run.err).toMatch(
      /^warning: the active pointer \(tables\/active\) is damaged: .*; this rollback replaced it$/m,
    );
    expect(run.err).toContain(`skipped: version ${v2} is damaged: its table does not match its hash`);
    expect(run.out.trim()).toBe(`rolled back: active is now ${v1} (the pointer was damaged)`);
    expect(activeId(await versionRows())).toBe(v1);
  });

  it("replaces an unparseable pointer with a named version", async () => {
    const [, v2] = await pushHosts(["a.example.com"], ["b.example.com"]);
    await editKv((kv) => kv.put(ACTIVE_KEY, '{"format":1}'));
    const run = await gatehouse("rollback", v2!, "--persist-to", ws.state);
    expect(run.code).toBe(0);
    expect(run.out.trim()).toBe(`rolled back: active is now ${v2} (the pointer was damaged)`);
    expect(activeId(await versionRows())).toBe(v2);
  });

  it("moves off a version that is missing, to the previous good one", async () => {
    const [v1, v2] = await pushHosts(["a.example.com"], ["b.example.com"]);
    await editKv((kv) => kv.delete(versionKey(v2!)));
    const run = await gatehouse("rollback", "--persist-to", ws.state);
    expect(run.code).toBe(0);
    expect(run.err).toContain(`warning: the active version cannot be served: version ${v2} is not stored`);
    expect(run.out.trim()).toBe(`rolled back: active is now ${v1} (was ${v2}, which cannot be served)`);
  });

  it("moves off a broken version, skipping broken ones before it", async () => {
    const [v1, v2, v3] = await pushHosts(["a.example.com"], ["b.example.com"], ["c.example.com"]);
    await tamper(v3!);
    await tamper(v2!);
    const run = await gatehouse("rollback", "--persist-to", ws.state);
    expect(run.code).toBe(0);
    expect(run.err).toContain(`warning: the active version cannot be served: version ${v3} is damaged`);
    expect(run.err).toContain(`skipped: version ${v2} is damaged`);
    expect(run.out.trim()).toBe(`rolled back: active is now ${v1} (was ${v3}, which cannot be served)`);
  });

  it("says what is wrong when no version loads", async () => {
    const [v1] = await pushHosts(["a.example.com"]);
    await tamper(v1!);
    await editKv((kv) => kv.put(ACTIVE_KEY, "{not json"));
    const run = await gatehouse("rollback", "--persist-to", ws.state);
    expect(run.code).toBe(1);
    expect(run.err).toContain(`gatehouse rollback: no version loads; skipped: version ${v1} is damaged`);
  });
});
