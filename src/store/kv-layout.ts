/**
 * How published route tables sit in the `ROUTES` KV namespace: key names, record shapes, and the
 * parsing both the worker and the CLI apply to what they read back. See docs/kv-layout.md.
 *
 *   tables/versions/<id>   one immutable record per published table (never rewritten)
 *   tables/active          the pointer: which version is in force, plus the activations before it
 *
 * Plain TypeScript with no Workers globals: the CLI (Node) and the worker share it.
 */
import type { RouteTable } from "../config/schema.ts";

/** Bumped only if the layout changes incompatibly; records carry it so old readers can refuse. */
export const LAYOUT_FORMAT = 1;

export const ACTIVE_KEY = "tables/active";
export const VERSION_KEY_PREFIX = "tables/versions/";

/** How many earlier activations the pointer remembers (for `rollback` and `versions`). */
export const POINTER_HISTORY_LIMIT = 50;

/**
 * A version's id: its number, zero-padded so that KV's lexicographic listing is chronological, then
 * the first 12 hex digits of its content hash. The hash part keeps two pushes that picked the same
 * number (two publishers in the same millisecond) on different keys, so no record is ever overwritten.
 */
export function versionId(version: number, hash: string): string {
  return `${String(version).padStart(13, "0")}-${hash.slice(0, 12)}`;
}

export function versionKey(id: string): string {
  return `${VERSION_KEY_PREFIX}${id}`;
}

const VERSION_ID_PATTERN = /^(\d{13,})-([0-9a-f]{12})$/;

/** The version number inside an id, or undefined when the text is not a version id. */
export function parseVersionId(id: string): { version: number; hashPrefix: string } | undefined {
  const m = VERSION_ID_PATTERN.exec(id);
  if (!m) return undefined;
  return { version: Number(m[1]), hashPrefix: m[2]! };
}

/** Who published, when, and why: everything about a version except the table itself. */
export interface VersionInfo {
  id: string;
  /** Milliseconds since the epoch at publish time, raised above the version then active if needed. */
  version: number;
  /** SHA-256 (hex) of the canonical JSON of the validated, normalised table. */
  hash: string;
  publishedAt: string;
  publishedBy?: string;
  message?: string;
}

/** `tables/versions/<id>`: written once, before any pointer names it. */
export interface VersionRecord extends VersionInfo {
  format: typeof LAYOUT_FORMAT;
  table: RouteTable;
}

/**
 * KV metadata on each version key, so `versions` can list history with one `list` call instead of a
 * read per version. KV caps metadata at 1024 bytes: free text is shortened to fit.
 */
export interface VersionListing {
  version: number;
  hash: string;
  publishedAt: string;
  publishedBy?: string;
  message?: string;
  routes: number;
  rules: number;
}

export interface Activation {
  id: string;
  version: number;
  hash: string;
  activatedAt: string;
  activatedBy?: string;
  /** `push` made a new version active; `rollback` moved the pointer to an existing one. */
  reason: "push" | "rollback";
}

/** `tables/active`: one small JSON value, replaced whole (a KV write of one key is atomic). */
export interface ActivePointer extends Activation {
  format: typeof LAYOUT_FORMAT;
  /** Earlier activations, newest first, at most POINTER_HISTORY_LIMIT. */
  history: Activation[];
}

// ---------------------------------------------------------------------------------------------------
// Canonical form and hashing

/**
 * JSON with object keys sorted at every level and no whitespace: the same table gives the same text in
 * Node and in workerd whatever the key order of the file it came from.
 */
export function canonicalJson(value: unknown): string {
  // One string built in place: a table of 10,000 routes is about a million values, and building an
  // entry array, a sorted copy and a joined string per object was most of a cold start's hash.
  let out = "";
  const write = (item: unknown): void => {
    if (item === null || typeof item !== "object") {
      const text = JSON.stringify(item);
      // `undefined` (and functions) have no JSON form; they only appear as absent object members.
      out += text === undefined ? "null" : text;
      return;
    }
    if (Array.isArray(item)) {
      out += "[";
      for (let i = 0; i < item.length; i++) {
        if (i > 0) out += ",";
        write(item[i]);
      }
      out += "]";
      return;
    }
    const object = item as Record<string, unknown>;
    // The default sort compares UTF-16 code units, as `<` does.
    const keys = Object.keys(object).sort();
    out += "{";
    let first = true;
    for (const key of keys) {
      const member = object[key];
      if (member === undefined) continue;
      out += first ? "" : ",";
      first = false;
      out += JSON.stringify(key);
      out += ":";
      write(member);
    }
    out += "}";
  };
  write(value);
  return out;
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The content hash of a table (or of whatever a record holds in its place, to check it). */
export function tableHash(table: unknown): Promise<string> {
  return sha256Hex(canonicalJson(table));
}

export function tableCounts(table: RouteTable): { routes: number; rules: number } {
  return { routes: table.routes.length, rules: table.routes.reduce((n, r) => n + r.rules.length, 0) };
}

// ---------------------------------------------------------------------------------------------------
// Reading records back: KV holds bytes anyone with access could have written, so check the envelope
// before trusting it. The table inside is checked separately by the reader: `checkVersionRecord`
// (table-check.ts) in the worker, and full validation on top in the CLI.

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseJson(text: string): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, reason: `not JSON (${err instanceof Error ? err.message : String(err)})` };
  }
}

function checkActivation(value: unknown, where: string): Parsed<Activation> {
  if (!isObject(value)) return { ok: false, reason: `${where} is not an object` };
  const { id, version, hash, activatedAt, activatedBy, reason } = value;
  if (typeof id !== "string" || !parseVersionId(id))
    return { ok: false, reason: `${where}.id is not a version id` };
  if (typeof version !== "number" || !Number.isSafeInteger(version)) {
    return { ok: false, reason: `${where}.version is not an integer` };
  }
  if (typeof hash !== "string" || !/^[0-9a-f]{64}$/.test(hash)) {
    return { ok: false, reason: `${where}.hash is not a SHA-256 hex digest` };
  }
  if (typeof activatedAt !== "string") return { ok: false, reason: `${where}.activatedAt is missing` };
  if (reason !== "push" && reason !== "rollback") return { ok: false, reason: `${where}.reason is unknown` };
  return {
    ok: true,
    value: {
      id,
      version,
      hash,
      activatedAt,
      ...(typeof activatedBy === "string" ? { activatedBy } : {}),
      reason,
    },
  };
}

export function parseActivePointer(text: string): Parsed<ActivePointer> {
  const json = parseJson(text);
  if (!json.ok) return json;
  const value = json.value;
  if (!isObject(value)) return { ok: false, reason: "the pointer is not a JSON object" };
  if (value.format !== LAYOUT_FORMAT)
    return { ok: false, reason: `unknown pointer format ${String(value.format)}` };
  const head = checkActivation(value, "pointer");
  if (!head.ok) return head;
  const history: Activation[] = [];
  // A damaged history entry must not cost us the pointer itself: keep the entries that are sound.
  if (Array.isArray(value.history)) {
    for (const [i, entry] of value.history.entries()) {
      const parsed = checkActivation(entry, `pointer.history[${i}]`);
      if (parsed.ok) history.push(parsed.value);
    }
  }
  return { ok: true, value: { format: LAYOUT_FORMAT, ...head.value, history } };
}

/** The envelope of a version record; `table` is returned as found, for the caller to validate. */
export function parseVersionRecord(text: string): Parsed<VersionInfo & { table: unknown }> {
  const json = parseJson(text);
  if (!json.ok) return json;
  const value = json.value;
  if (!isObject(value)) return { ok: false, reason: "the record is not a JSON object" };
  if (value.format !== LAYOUT_FORMAT)
    return { ok: false, reason: `unknown record format ${String(value.format)}` };
  const { id, version, hash, publishedAt, publishedBy, message, table } = value;
  if (typeof id !== "string" || !parseVersionId(id)) return { ok: false, reason: "id is not a version id" };
  if (typeof version !== "number" || !Number.isSafeInteger(version)) {
    return { ok: false, reason: "version is not an integer" };
  }
  if (typeof hash !== "string" || !/^[0-9a-f]{64}$/.test(hash)) {
    return { ok: false, reason: "hash is not a SHA-256 hex digest" };
  }
  if (typeof publishedAt !== "string") return { ok: false, reason: "publishedAt is missing" };
  if (!isObject(table)) return { ok: false, reason: "table is missing" };
  return {
    ok: true,
    value: {
      id,
      version,
      hash,
      publishedAt,
      ...(typeof publishedBy === "string" ? { publishedBy } : {}),
      ...(typeof message === "string" ? { message } : {}),
      table,
    },
  };
}

/** Metadata as listed; anything malformed reads as absent rather than failing the whole listing. */
export function parseVersionListing(metadata: unknown): Partial<VersionListing> {
  if (!isObject(metadata)) return {};
  const out: Partial<VersionListing> = {};
  if (typeof metadata.version === "number") out.version = metadata.version;
  if (typeof metadata.hash === "string") out.hash = metadata.hash;
  if (typeof metadata.publishedAt === "string") out.publishedAt = metadata.publishedAt;
  if (typeof metadata.publishedBy === "string") out.publishedBy = metadata.publishedBy;
  if (typeof metadata.message === "string") out.message = metadata.message;
  if (typeof metadata.routes === "number") out.routes = metadata.routes;
  if (typeof metadata.rules === "number") out.rules = metadata.rules;
  return out;
}

const METADATA_LIMIT = 1024;

/** KV metadata for a version key, free text shortened so the whole stays within KV's 1024 bytes. */
export function versionListing(info: VersionInfo, table: RouteTable): VersionListing {
  const listing: VersionListing = {
    version: info.version,
    hash: info.hash,
    publishedAt: info.publishedAt,
    ...(info.publishedBy ? { publishedBy: info.publishedBy.slice(0, 200) } : {}),
    ...(info.message ? { message: info.message } : {}),
    ...tableCounts(table),
  };
  const encoder = new TextEncoder();
  while (listing.message && encoder.encode(JSON.stringify(listing)).length > METADATA_LIMIT) {
    listing.message = `${listing.message.slice(0, Math.max(0, listing.message.length - 64))}…`;
    if (listing.message.length <= 1) delete listing.message;
  }
  return listing;
}
