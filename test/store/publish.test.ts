import { describe, expect, it } from "vitest";
import {
  ACTIVE_KEY,
  POINTER_HISTORY_LIMIT,
  parseActivePointer,
  VERSION_KEY_PREFIX,
  versionKey,
} from "../../src/store/kv-layout.ts";
import {
  listVersions,
  loadActiveVersion,
  loadVersion,
  publishTable,
  resolveVersionRef,
  rollbackTo,
  StoreError,
} from "../../src/store/publish.ts";
import { MemoryKv } from "./memory-kv.ts";
import { tableFor } from "./tables.ts";

function clock(start = 1_800_000_000_000) {
  let t = start;
  return () => t++;
}

async function pushed(kv: MemoryKv, input: unknown, now = clock()) {
  const outcome = await publishTable(kv, input, { now, publishedBy: "ops@example.com" });
  if (outcome.kind !== "published") throw new Error(`expected a publish, got ${outcome.kind}`);
  return outcome.version;
}

async function pointer(kv: MemoryKv) {
  const parsed = parseActivePointer((await kv.get(ACTIVE_KEY))!);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

describe("publishTable", () => {
  it("writes the version record first, then the pointer, and nothing else", async () => {
    const kv = new MemoryKv();
    const v = await pushed(kv, tableFor("a.example.com"));
    expect(kv.writes).toEqual([versionKey(v.id), ACTIVE_KEY]);
    expect((await pointer(kv)).id).toBe(v.id);
    const loaded = await loadVersion(kv, v.id);
    expect(loaded.info).toMatchObject({ id: v.id, hash: v.hash, publishedBy: "ops@example.com" });
    expect(loaded.table.routes[0]?.id).toBe("a");
  });

  it("never writes an invalid table, and reports every problem", async () => {
    const kv = new MemoryKv();
    const outcome = await publishTable(kv, {
      version: 1,
      routes: [
        { id: "x", rules: [{ backendRefs: [{ name: "nowhere" }] }] },
        { id: "x", rules: [] },
      ],
    });
    expect(outcome.kind).toBe("invalid");
    if (outcome.kind !== "invalid") return;
    expect(outcome.problems.length).toBeGreaterThanOrEqual(2);
    expect(kv.writes).toEqual([]);
  });

  it("is a no-op for a table identical to the active one, whatever its formatting", async () => {
    const kv = new MemoryKv();
    const v = await pushed(kv, tableFor("a.example.com"));
    // Same table, keys in another order and defaults spelled out: same normalised content.
    const same = {
      routes: [
        { rules: [{ backendRefs: [{ weight: 1, name: "pods" }] }], hostnames: ["a.example.com"], id: "a" },
      ],
      clusters: { pods: { endpoints: [{ weight: 1, url: "http://127.0.0.1:9001" }] } },
      version: 1,
    };
    const outcome = await publishTable(kv, same);
    expect(outcome.kind).toBe("unchanged");
    if (outcome.kind === "unchanged") expect(outcome.active.id).toBe(v.id);
    expect(kv.writes).toHaveLength(2);
  });

  it("numbers versions above the active one even when the publisher's clock is behind", async () => {
    const kv = new MemoryKv();
    const first = await pushed(kv, tableFor("a.example.com"), clock(2_000_000_000_000));
    const second = await pushed(kv, tableFor("b.example.com"), clock(1_000_000_000_000));
    expect(second.version).toBe(first.version + 1);
    expect((await listVersions(kv)).versions.map((v) => v.id)).toEqual([second.id, first.id]);
  });

  it("keeps two publishes that read the same pointer and picked the same number on different keys", async () => {
    // Both publishers read the pointer before either writes: the race KV cannot prevent.
    const kv = new MemoryKv();
    let arrived = 0;
    let release!: () => void;
    const bothRead = new Promise<void>((resolve) => {
      release = resolve;
    });
    const get = kv.get.bind(kv);
    kv.get = async (key) => {
      const value = await get(key);
      if (key === ACTIVE_KEY && ++arrived === 2) release();
      if (key === ACTIVE_KEY) await bothRead;
      return value;
    };
    const same = () => 1_800_000_000_000;
    const [a, b] = await Promise.all([
      publishTable(kv, tableFor("a.example.com"), { now: same }),
      publishTable(kv, tableFor("b.example.com"), { now: same }),
    ]);
    if (a.kind !== "published" || b.kind !== "published") throw new Error("expected two publishes");
    expect(a.version.version).toBe(b.version.version);
    expect(a.version.id).not.toBe(b.version.id);
    // The pointer names one of them, fully written; the other is kept, listed, and can be rolled to.
    const active = await pointer(kv);
    expect([a.version.id, b.version.id]).toContain(active.id);
    await expect(loadVersion(kv, a.version.id)).resolves.toBeDefined();
    await expect(loadVersion(kv, b.version.id)).resolves.toBeDefined();
    expect((await listVersions(kv)).versions).toHaveLength(2);
  });

  it("replaces a damaged pointer and says so", async () => {
    const kv = new MemoryKv();
    await kv.put(ACTIVE_KEY, "{oops");
    const outcome = await publishTable(kv, tableFor("a.example.com"));
    expect(outcome.kind).toBe("published");
    if (outcome.kind === "published") expect(outcome.replacedDamagedPointer).toMatch(/damaged/);
    expect((await pointer(kv)).history).toEqual([]);
  });

  it("remembers at most POINTER_HISTORY_LIMIT earlier activations, newest first", async () => {
    const kv = new MemoryKv();
    const now = clock();
    const ids: string[] = [];
    for (let i = 0; i < POINTER_HISTORY_LIMIT + 3; i++)
      ids.push((await pushed(kv, tableFor(`h${i}.example.com`), now)).id);
    const p = await pointer(kv);
    expect(p.id).toBe(ids.at(-1));
    expect(p.history).toHaveLength(POINTER_HISTORY_LIMIT);
    expect(p.history[0]?.id).toBe(ids.at(-2));
  });
});

describe("listVersions and resolveVersionRef", () => {
  it("lists every version newest first through paged listings, the active one marked", async () => {
    const kv = new MemoryKv();
    const now = clock();
    const vs = [];
    for (const h of ["a", "b", "c", "d", "e"]) vs.push(await pushed(kv, tableFor(`${h}.example.com`), now));
    const { active, versions } = await listVersions(kv);
    expect(active?.id).toBe(vs[4]!.id);
    expect(versions.map((v) => v.id)).toEqual(vs.map((v) => v.id).reverse());
    expect(versions.filter((v) => v.active)).toHaveLength(1);
    expect(versions[0]).toMatchObject({ routes: 1, rules: 1, publishedBy: "ops@example.com" });
  });

  it("ignores keys that are not version records", async () => {
    const kv = new MemoryKv();
    await pushed(kv, tableFor("a.example.com"));
    await kv.put(`${VERSION_KEY_PREFIX}notes`, "hand-written");
    expect((await listVersions(kv)).versions).toHaveLength(1);
  });

  it("finds a version by id, number or hash prefix, and refuses ambiguity", async () => {
    const kv = new MemoryKv();
    const now = clock();
    const a = await pushed(kv, tableFor("a.example.com"), now);
    const b = await pushed(kv, tableFor("b.example.com"), now);
    const { versions } = await listVersions(kv);
    expect(resolveVersionRef(a.id, versions).id).toBe(a.id);
    expect(resolveVersionRef(String(b.version), versions).id).toBe(b.id);
    expect(resolveVersionRef(a.hash.slice(0, 8), versions).id).toBe(a.id);
    expect(() => resolveVersionRef("12345", versions)).toThrow(StoreError);
    const twins = [
      { ...versions[0]!, id: "x1", hash: "abcdef01" },
      { ...versions[1]!, id: "x2", hash: "abcdef02" },
    ];
    expect(() => resolveVersionRef("abcdef", twins)).toThrow(/2 versions/);
  });
});

describe("rollbackTo", () => {
  it("only moves the pointer, by default to the previous version, stepping back on repeat", async () => {
    const kv = new MemoryKv();
    const now = clock();
    const [v1, v2, v3] = [
      await pushed(kv, tableFor("a.example.com"), now),
      await pushed(kv, tableFor("b.example.com"), now),
      await pushed(kv, tableFor("c.example.com"), now),
    ];
    const writesBefore = kv.writes.length;

    const first = await rollbackTo(kv, undefined, { activatedBy: "oncall" });
    expect(first.kind === "rolled-back" && first.target.id).toBe(v2.id);
    expect(kv.writes.slice(writesBefore)).toEqual([ACTIVE_KEY]);
    expect((await pointer(kv)).reason).toBe("rollback");

    const second = await rollbackTo(kv, undefined);
    expect(second.target.id).toBe(v1.id);
    await expect(rollbackTo(kv, undefined)).rejects.toThrow(/no version older/);

    // Forward again by naming it; then a new push, whose previous is the version rolled back to.
    await rollbackTo(kv, v3.id);
    expect((await loadActiveVersion(kv))?.info.id).toBe(v3.id);
    expect((await listVersions(kv)).versions).toHaveLength(3);
  });

  it("after rolling back and pushing anew, rolls back to the version that was in force", async () => {
    const kv = new MemoryKv();
    const now = clock();
    const v1 = await pushed(kv, tableFor("a.example.com"), now);
    await pushed(kv, tableFor("b.example.com"), now);
    await rollbackTo(kv, v1.id);
    await pushed(kv, tableFor("c.example.com"), now);
    const outcome = await rollbackTo(kv, undefined);
    expect(outcome.target.id).toBe(v1.id);
  });

  it("says so when the target is already active, and writes nothing", async () => {
    const kv = new MemoryKv();
    const v1 = await pushed(kv, tableFor("a.example.com"));
    const writes = kv.writes.length;
    const outcome = await rollbackTo(kv, v1.id);
    expect(outcome.kind).toBe("already-active");
    expect(kv.writes).toHaveLength(writes);
  });

  it("refuses to point at a damaged version", async () => {
    const kv = new MemoryKv();
    const now = clock();
    const v1 = await pushed(kv, tableFor("a.example.com"), now);
    await pushed(kv, tableFor("b.example.com"), now);
    const record = JSON.parse((await kv.get(versionKey(v1.id)))!);
    record.table.routes[0].hostnames = ["evil.example.com"];
    await kv.put(versionKey(v1.id), JSON.stringify(record), {
      metadata: kv.values.get(versionKey(v1.id))?.metadata,
    });
    await expect(rollbackTo(kv, v1.id)).rejects.toThrow(/does not match its hash/);
  });

  it("repairs a damaged pointer: the new one names the target and starts a fresh history", async () => {
    const kv = new MemoryKv();
    const now = clock();
    const v1 = await pushed(kv, tableFor("a.example.com"), now);
    await pushed(kv, tableFor("b.example.com"), now);
    await kv.put(ACTIVE_KEY, "{");
    const listed = await listVersions(kv);
    expect(listed.active).toBeUndefined();
    expect(listed.damagedPointer).toMatch(/is damaged: not JSON/);
    expect(listed.versions).toHaveLength(2);

    const outcome = await rollbackTo(kv, v1.id, { now });
    expect(outcome).toMatchObject({ kind: "rolled-back", previous: undefined, skipped: [] });
    expect(outcome.kind === "rolled-back" && outcome.replacedDamagedPointer).toMatch(/not JSON/);
    expect(await pointer(kv)).toMatchObject({ id: v1.id, reason: "rollback", history: [] });
  });

  it("by default skips versions that do not load, and says which and why", async () => {
    const kv = new MemoryKv();
    const now = clock();
    const v1 = await pushed(kv, tableFor("a.example.com"), now);
    const v2 = await pushed(kv, tableFor("b.example.com"), now);
    await pushed(kv, tableFor("c.example.com"), now);
    const record = JSON.parse((await kv.get(versionKey(v2.id)))!);
    record.table.routes[0].hostnames = ["evil.example.com"];
    await kv.put(versionKey(v2.id), JSON.stringify(record), {
      metadata: kv.values.get(versionKey(v2.id))?.metadata,
    });
    const outcome = await rollbackTo(kv, undefined, { now });
    expect(outcome).toMatchObject({
      kind: "rolled-back",
      target: { id: v1.id },
      skipped: [{ id: v2.id, reason: expect.stringMatching(/does not match its hash/) }],
    });
  });

  it("refuses when nothing was published", async () => {
    await expect(rollbackTo(new MemoryKv(), undefined)).rejects.toThrow(/nothing has been published/);
  });
});
