/**
 * Publishing route tables to KV: push, rollback, history, and reading back what is in force.
 *
 * KV has no transactions and no compare-and-swap, so the protocol leans on two facts it does have: a
 * write of one key is atomic, and a key we never rewrite can never be seen half-changed. Hence:
 *   1. a table is validated before anything is written (an invalid table never reaches KV);
 *   2. its record goes under a fresh, immutable version key;
 *   3. only then is the one small pointer key replaced to name it.
 * The pointer therefore only ever names a fully written version, whoever wins a race. What a race can
 * cost, and what eventual consistency means for readers, is spelled out in docs/kv-layout.md.
 *
 * No Workers globals: the CLI runs this in Node over local or remote KV, the tests in workerd.
 */
import type { RouteTable } from "../config/schema.ts";
import { type Problem, validateRouteTable } from "../config/validate.ts";
import {
  ACTIVE_KEY,
  type Activation,
  type ActivePointer,
  LAYOUT_FORMAT,
  POINTER_HISTORY_LIMIT,
  parseActivePointer,
  parseVersionId,
  parseVersionListing,
  tableHash,
  VERSION_KEY_PREFIX,
  type VersionInfo,
  type VersionRecord,
  versionId,
  versionKey,
  versionListing,
} from "./kv-layout.ts";
import { type KvStore, listAll } from "./kv-store.ts";
import { checkVersionRecord } from "./table-check.ts";

/** A refusal the operator can act on (nothing published, unknown version, damaged record…). */
export class StoreError extends Error {
  override readonly name = "StoreError";
}

export interface PublishOptions {
  /** Who is publishing (git user, $USER…); recorded, never trusted for anything. */
  publishedBy?: string;
  message?: string;
  /** Clock, for tests. */
  now?: () => number;
}

export type PublishOutcome =
  | { kind: "invalid"; problems: Problem[]; warnings: Problem[] }
  | { kind: "unchanged"; active: ActivePointer; warnings: Problem[] }
  | {
      kind: "published";
      version: VersionInfo;
      /** What was in force before this push, if anything. */
      previous: Activation | undefined;
      table: RouteTable;
      warnings: Problem[];
      /** Set when the pointer found was unreadable (this push replaced it): why. */
      replacedDamagedPointer?: string;
    };

/** What `tables/active` says, or undefined when nothing was ever published. */
export async function readActivePointer(kv: KvStore): Promise<ActivePointer | undefined> {
  const text = await kv.get(ACTIVE_KEY);
  if (text === null) return undefined;
  const parsed = parseActivePointer(text);
  if (!parsed.ok) throw new StoreError(`the active pointer (${ACTIVE_KEY}) is damaged: ${parsed.reason}`);
  return parsed.value;
}

/**
 * The pointer as a publisher sees it: a damaged pointer must not stop the push that repairs it, so it
 * reads as "nothing in force" and the caller is told.
 */
async function readPointerForWrite(
  kv: KvStore,
): Promise<{ pointer: ActivePointer | undefined; damaged?: string }> {
  try {
    return { pointer: await readActivePointer(kv) };
  } catch (err) {
    if (err instanceof StoreError) return { pointer: undefined, damaged: err.message };
    throw err;
  }
}

function activationOf(pointer: ActivePointer): Activation {
  const { format: _format, history: _history, ...activation } = pointer;
  return activation;
}

function nextPointer(target: Activation, current: ActivePointer | undefined): ActivePointer {
  const history = current ? [activationOf(current), ...current.history] : [];
  return { format: LAYOUT_FORMAT, ...target, history: history.slice(0, POINTER_HISTORY_LIMIT) };
}

/**
 * Validate `input` and, if it is valid and differs from the table in force, write it as a new
 * version and make that version active.
 */
export async function publishTable(
  kv: KvStore,
  input: unknown,
  options: PublishOptions = {},
): Promise<PublishOutcome> {
  const validation = validateRouteTable(input);
  if (!validation.ok)
    return { kind: "invalid", problems: validation.problems, warnings: validation.warnings };
  const { table, warnings } = validation;
  const hash = await tableHash(table);

  const { pointer, damaged } = await readPointerForWrite(kv);
  if (pointer && pointer.hash === hash) return { kind: "unchanged", active: pointer, warnings };

  // Milliseconds since the epoch: increasing across publishers without coordination, as far as their
  // clocks agree; never below the version in force, so one publisher's history is always ordered.
  const now = options.now?.() ?? Date.now();
  const version = Math.max(now, (pointer?.version ?? 0) + 1);
  const id = versionId(version, hash);
  const publishedAt = new Date(now).toISOString();
  const info: VersionInfo = {
    id,
    version,
    hash,
    publishedAt,
    ...(options.publishedBy ? { publishedBy: options.publishedBy } : {}),
    ...(options.message ? { message: options.message } : {}),
  };
  const record: VersionRecord = { format: LAYOUT_FORMAT, ...info, table };

  // The order is the guarantee: the record is complete before any pointer can name it.
  await kv.put(versionKey(id), JSON.stringify(record), { metadata: versionListing(info, table) });
  const activation: Activation = {
    id,
    version,
    hash,
    activatedAt: publishedAt,
    ...(options.publishedBy ? { activatedBy: options.publishedBy } : {}),
    reason: "push",
  };
  await kv.put(ACTIVE_KEY, JSON.stringify(nextPointer(activation, pointer)));
  return {
    kind: "published",
    version: info,
    previous: pointer && activationOf(pointer),
    table,
    warnings,
    ...(damaged ? { replacedDamagedPointer: damaged } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------
// History

export interface VersionSummary {
  id: string;
  version: number;
  hash: string;
  publishedAt?: string;
  publishedBy?: string;
  message?: string;
  routes?: number;
  rules?: number;
  active: boolean;
}

export interface VersionHistory {
  /** What the pointer names; undefined when nothing was published or the pointer is damaged. */
  active: ActivePointer | undefined;
  /** Set when `tables/active` exists but cannot be read: why. */
  damagedPointer?: string;
  /** Newest first. */
  versions: VersionSummary[];
}

function compareVersions(a: { version: number; id: string }, b: { version: number; id: string }): number {
  return b.version - a.version || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/**
 * Every stored version, newest first, from one listing (metadata), with the active one marked. A
 * damaged pointer does not hide the versions: it is what an operator needs to see to repair it.
 */
export async function listVersions(kv: KvStore): Promise<VersionHistory> {
  const [{ pointer: active, damaged }, keys] = await Promise.all([
    readPointerForWrite(kv),
    listAll(kv, VERSION_KEY_PREFIX),
  ]);
  const versions: VersionSummary[] = [];
  for (const key of keys) {
    const id = key.name.slice(VERSION_KEY_PREFIX.length);
    const parsedId = parseVersionId(id);
    if (!parsedId) continue; // not ours: KV namespaces are sometimes shared by hand
    const listing = parseVersionListing(key.metadata);
    versions.push({
      ...listing,
      id,
      version: parsedId.version,
      hash: listing.hash ?? parsedId.hashPrefix,
      active: active?.id === id,
    });
  }
  versions.sort(compareVersions);
  return { active, ...(damaged ? { damagedPointer: damaged } : {}), versions };
}

/**
 * Find a version by what an operator types: its full id, its number, or a prefix of its hash
 * (at least 6 hex digits). Ambiguity is an error that lists the candidates.
 */
export function resolveVersionRef(ref: string, versions: readonly VersionSummary[]): VersionSummary {
  const wanted = ref.trim().replace(/^v/i, "");
  let found = versions.filter((v) => v.id === wanted);
  if (found.length === 0 && /^\d+$/.test(wanted))
    found = versions.filter((v) => v.version === Number(wanted));
  if (found.length === 0 && /^[0-9a-f]{6,64}$/i.test(wanted)) {
    found = versions.filter((v) => v.hash.startsWith(wanted.toLowerCase()));
  }
  if (found.length === 1) return found[0]!;
  if (found.length === 0) throw new StoreError(`no version "${ref}" (see \`gatehouse versions\`)`);
  throw new StoreError(
    `"${ref}" names ${found.length} versions: ${found.map((v) => v.id).join(", ")}; give the full id`,
  );
}

// ---------------------------------------------------------------------------------------------------
// Reading a version back

export interface LoadedVersion {
  info: VersionInfo;
  table: RouteTable;
}

/**
 * Read one version and check it the way the worker will: envelope, content hash, validation.
 * Throws StoreError naming what is wrong.
 */
export async function loadVersion(kv: KvStore, id: string): Promise<LoadedVersion> {
  const text = await kv.get(versionKey(id));
  if (text === null) throw new StoreError(`version ${id} is not stored`);
  // What the Worker would refuse, refused here too (a rollback to it would leave the old table serving).
  const checked = await checkVersionRecord(id, text);
  if (!checked.ok) throw new StoreError(`version ${id} is damaged: ${checked.reason}`);
  // And full validation on top: the rules may have grown stricter since it was published.
  const validation = validateRouteTable(checked.table);
  if (!validation.ok) {
    const first = validation.problems[0];
    throw new StoreError(
      `version ${id} no longer validates (${validation.problems.length} problem(s), first: ${first ? `${first.path}: ${first.message}` : "?"})`,
    );
  }
  return { info: checked.info, table: validation.table };
}

/** The table in force, or undefined when nothing was ever published. */
export async function loadActiveVersion(kv: KvStore): Promise<LoadedVersion | undefined> {
  const pointer = await readActivePointer(kv);
  return pointer ? loadVersion(kv, pointer.id) : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Rollback

export interface RollbackOptions {
  /** Who is rolling back; recorded in the pointer. */
  activatedBy?: string;
  now?: () => number;
}

export type RollbackOutcome =
  | { kind: "already-active"; target: VersionSummary }
  | {
      kind: "rolled-back";
      target: VersionSummary;
      /** What the pointer named before; undefined when it was damaged or missing. */
      previous: Activation | undefined;
      /** Set when the pointer was damaged (this rollback replaced it): why. */
      replacedDamagedPointer?: string;
      /** Set when the version the pointer named cannot be served (missing or broken): why. */
      activeUnusable?: string;
      /** Candidates for "the previous good version" passed over because they do not load, and why. */
      skipped: { id: string; reason: string }[];
    };

/**
 * The candidates for a rollback without VERSION, best first. With a sound version in force: the
 * activations before it that are older than it, walking the pointer's history (so repeated rollbacks
 * step back one version at a time instead of bouncing between the last two, and skip versions that
 * were themselves rolled back from), then any older version listed (the history may be lost). With
 * the version in force missing or broken, or no readable pointer: the whole history, most recently
 * active first, then every listed version, newest first: the last good table, wherever it is.
 */
function rollbackCandidates(
  active: ActivePointer | undefined,
  activeUsable: boolean,
  versions: readonly VersionSummary[],
): VersionSummary[] {
  const stored = new Map(versions.map((v) => [v.id, v]));
  const fromHistory = (active?.history ?? []).flatMap((past) => stored.get(past.id) ?? []);
  const ordered = [...fromHistory, ...versions].filter(
    (v) => v.id !== active?.id && (!active || !activeUsable || compareVersions(v, active) > 0),
  );
  return [...new Set(ordered)];
}

/**
 * Point `tables/active` at an existing version (default: the previous good one). Writes nothing else.
 * Also the repair for a damaged pointer, or one naming a version that is missing or broken: the
 * target is checked as the worker checks it, and the pointer is rewritten whatever state it was in.
 */
export async function rollbackTo(
  kv: KvStore,
  ref: string | undefined,
  options: RollbackOptions = {},
): Promise<RollbackOutcome> {
  const { active, damagedPointer, versions } = await listVersions(kv);
  if (!active && versions.length === 0) {
    throw new StoreError(
      damagedPointer
        ? `${damagedPointer}, and no version is stored to repair it with: publish one with \`gatehouse push\``
        : "nothing has been published yet: there is nothing to roll back",
    );
  }
  // Whether the version in force can be served decides what "the previous good version" means.
  let activeUnusable: string | undefined;
  if (active) {
    try {
      await loadVersion(kv, active.id);
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      activeUnusable = err.message;
    }
  }

  const skipped: { id: string; reason: string }[] = [];
  let target: VersionSummary | undefined;
  let loaded: LoadedVersion | undefined;
  if (ref !== undefined) {
    target = resolveVersionRef(ref, versions);
    if (target.id === active?.id && !activeUnusable) return { kind: "already-active", target };
    // Refuse a target the worker would refuse too, rather than point every isolate at it.
    loaded = await loadVersion(kv, target.id);
  } else {
    const candidates = rollbackCandidates(active, !activeUnusable, versions);
    for (const candidate of candidates) {
      try {
        loaded = await loadVersion(kv, candidate.id);
        target = candidate;
        break;
      } catch (err) {
        if (!(err instanceof StoreError)) throw err;
        skipped.push({ id: candidate.id, reason: err.message });
      }
    }
    if (!target || !loaded) {
      const what = active && !activeUnusable ? `older than the active one (${active.id}) ` : "";
      const why = skipped.length > 0 ? `; skipped: ${skipped.map((s) => s.reason).join("; ")}` : "";
      throw new StoreError(
        skipped.length > 0 ? `no version ${what}loads${why}` : `no version ${what}to roll back to`,
      );
    }
  }

  const activation: Activation = {
    id: loaded.info.id,
    version: loaded.info.version,
    hash: loaded.info.hash,
    activatedAt: new Date(options.now?.() ?? Date.now()).toISOString(),
    ...(options.activatedBy ? { activatedBy: options.activatedBy } : {}),
    reason: "rollback",
  };
  await kv.put(ACTIVE_KEY, JSON.stringify(nextPointer(activation, active)));
  return {
    kind: "rolled-back",
    target,
    previous: active && activationOf(active),
    ...(damagedPointer ? { replacedDamagedPointer: damagedPointer } : {}),
    ...(activeUnusable ? { activeUnusable } : {}),
    skipped,
  };
}
