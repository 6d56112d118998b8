/**
 * The route table this isolate serves, read from KV and compiled once per version.
 *
 * - The compiled table lives in module scope. Only a request that finds no table at all waits for KV
 *   (the isolate's first); every other request is served from memory, and the active pointer is
 *   re-read at most every ROUTES_REFRESH_SECONDS, in `waitUntil`, after the response.
 * - A new version is loaded, checked (envelope, id, content hash, shape, references; `table-check.ts`)
 *   and compiled once. One that fails is skipped: the last good table keeps serving, and the failure
 *   is logged once per version and remembered, so it is never read or compiled again.
 * - An isolate with no table yet has no "last good table" of its own: when the version the pointer
 *   names is missing or broken, it walks the pointer's history (most recently active first) to the
 *   first version that loads, reading at most MAX_VERSION_READS records, and says on the status surface
 *   which version it wanted, which it serves, and why.
 * - A request keeps the `GatewayConfig` it was handed for its whole life, WebSockets and streams
 *   included: swapping the module-scope table never touches a request already running.
 * - workerd forbids using a Promise or stream created by one request from another, so module scope
 *   holds only settled data (the compiled table, timestamps); never an in-flight refresh.
 */
import { compileGateway, type GatewayConfig } from "../gateway/compile.ts";
import type { Env } from "../gateway/env.ts";
import { ACTIVE_KEY, parseActivePointer, VERSION_KEY_PREFIX, versionId, versionKey } from "./kv-layout.ts";
import { checkVersionRecord, type RecordProblemCode } from "./table-check.ts";

export const DEFAULT_REFRESH_SECONDS = 10;
/**
 * The most version records one load reads: the version the pointer names and up to four earlier ones
 * from its history. With the pointer read, a cold start waits for at most six KV reads, and for two
 * when the version in force loads (the common case).
 */
export const MAX_VERSION_READS = 5;
/** A refresh that has not finished after this long is presumed lost (its request context ended). */
const REFRESH_STALE_MS = 30_000;
/** Versions remembered as bad; beyond this the oldest is forgotten (and would be retried). */
const FAILED_VERSIONS_LIMIT = 100;

/**
 * Why this isolate does not serve the version the pointer names (docs/kv-layout.md, "Reasons"):
 * the record checks' codes (`table-check.ts`), plus
 * - `version_missing`: the record is not visible here (not propagated yet, or deleted); retried;
 * - `compile_failed`: it passed the checks but did not compile;
 * - `pointer_damaged`: `tables/active` is not a pointer this Worker can read;
 * - `pointer_missing`: versions are stored but `tables/active` is gone;
 * - `kv_error`: KV itself failed; retried.
 */
export type LoadProblemCode =
  | RecordProblemCode
  | "version_missing"
  | "compile_failed"
  | "pointer_damaged"
  | "pointer_missing"
  | "kv_error";

export interface LoadError {
  /** The version id that could not be used, or undefined when the pointer itself could not be read. */
  version: string | undefined;
  code: LoadProblemCode;
  message: string;
  at: string;
  /** `pending`: not visible in this location yet (KV propagation), retried; `rejected`: never retried. */
  kind: "pending" | "rejected";
}

/** One record the last cold load looked at, and what became of it. */
export interface WalkStep {
  version: string;
  outcome: "served" | LoadProblemCode;
}

interface SourceState {
  gateway: GatewayConfig | undefined;
  /** When the pointer was last read (started), ms since epoch; 0 = never. */
  checkedAt: number;
  /** When the refresh in progress started; 0 = none in progress. */
  refreshStartedAt: number;
  /** The version id the pointer named at the last successful read. */
  pointedAt: string | undefined;
  /** Why the version the pointer names is not served (undefined: it is, or nothing is published). */
  wantedProblem: LoadError | undefined;
  /** Versions that can never load (records are immutable), with the reason. */
  rejected: Map<string, { code: LoadProblemCode; reason: string }>;
  /** Versions whose absence was already logged (a pending version is logged once, not every refresh). */
  loggedPending: Set<string>;
  lastError: LoadError | undefined;
  /** The records the last load without a table looked at, in order (for the status view). */
  lastWalk: WalkStep[];
}

function freshState(): SourceState {
  return {
    gateway: undefined,
    checkedAt: 0,
    refreshStartedAt: 0,
    pointedAt: undefined,
    wantedProblem: undefined,
    rejected: new Map(),
    loggedPending: new Set(),
    lastError: undefined,
    lastWalk: [],
  };
}

let state = freshState();

/** Test-only: forget the table and all refresh state, as a new isolate would start. */
export function resetTableSourceForTests(): void {
  state = freshState();
}

export function refreshIntervalMs(env: Env): number {
  const raw = env.ROUTES_REFRESH_SECONDS;
  const seconds = raw === undefined || raw === "" ? Number.NaN : Number(raw);
  return (Number.isFinite(seconds) && seconds >= 0 ? seconds : DEFAULT_REFRESH_SECONDS) * 1000;
}

/** The compiled table this request runs on; undefined when no usable table could be loaded. */
export async function currentGateway(env: Env, ctx: ExecutionContext): Promise<GatewayConfig | undefined> {
  const now = Date.now();
  const due = now - state.checkedAt >= refreshIntervalMs(env);
  const inProgress = state.refreshStartedAt !== 0 && now - state.refreshStartedAt < REFRESH_STALE_MS;
  if (!state.gateway) {
    // Nothing to serve: this request may as well wait. Requests that arrive while another is loading
    // read KV themselves (a pending load cannot be shared across requests); they converge on the
    // same version. With nothing published, KV is asked at most once per interval.
    if (due || inProgress) await refreshTable(env);
    return state.gateway;
  }
  if (due && !inProgress) ctx.waitUntil(refreshTable(env));
  return state.gateway;
}

/**
 * Why there is no table to serve, as the gateway's 503 answer: `no_route_table` only when nothing
 * was ever published; `route_table_unavailable`, naming the version and the reason, when something
 * was but none of it loads here.
 */
export function noTableAnswer(): { error: "no_route_table" | "route_table_unavailable"; message: string } {
  const problem = state.wantedProblem;
  if (!problem) {
    return { error: "no_route_table", message: "no route table has been published (run `gatehouse push`)" };
  }
  const tried = state.lastWalk.length;
  const wanted = problem.version ? `route table version ${problem.version}` : "the active route table";
  const fallback = tried > 1 ? `, nor could the ${tried - 1} earlier version(s) tried from its history` : "";
  return {
    error: "route_table_unavailable",
    message: `${wanted} cannot be loaded (${problem.code})${fallback}; see the status surface`,
  };
}

/**
 * Read the pointer and, if it names a version this isolate is not serving, load it (or, with no table
 * at all, the newest one its history offers that loads). Never throws: every failure leaves the current
 * table in place and is recorded for the status view.
 */
export async function refreshTable(env: Env): Promise<void> {
  const started = Date.now();
  state.checkedAt = started;
  state.refreshStartedAt = started;
  try {
    await refreshOnce(env);
  } catch (err) {
    // KV itself failed (or a bug): keep serving; say so once per distinct message.
    const error = noteError({
      version: state.pointedAt,
      code: "kv_error",
      message: `reading the route table from KV failed: ${errorText(err)}`,
      kind: "pending",
    });
    if (!state.gateway) state.wantedProblem = error;
  } finally {
    state.refreshStartedAt = 0;
  }
}

async function refreshOnce(env: Env): Promise<void> {
  const pointerText = await env.ROUTES.get(ACTIVE_KEY, "text");
  if (pointerText === null) {
    state.pointedAt = undefined;
    state.wantedProblem = undefined;
    // Nothing published, or the pointer was removed by hand: keep whatever we serve. With nothing to
    // serve, one listing tells the two apart, so the 503 says which (at most once per interval).
    const published =
      state.gateway !== undefined ||
      (await env.ROUTES.list({ prefix: VERSION_KEY_PREFIX, limit: 1 })).keys.length > 0;
    if (published) {
      state.wantedProblem = noteError({
        version: undefined,
        code: "pointer_missing",
        message: `versions are stored but ${ACTIVE_KEY} is missing: make one active with \`gatehouse rollback VERSION\``,
        kind: "pending",
      });
    }
    return;
  }
  const pointer = parseActivePointer(pointerText);
  if (!pointer.ok) {
    state.pointedAt = undefined;
    state.wantedProblem = noteError({
      version: undefined,
      code: "pointer_damaged",
      message: `the active pointer is damaged: ${pointer.reason}; repair it with \`gatehouse rollback\``,
      kind: "pending",
    });
    return;
  }
  const id = pointer.value.id;
  state.pointedAt = id;
  if (state.gateway && servingId() === id) {
    // Back on (or still on) the version in force: nothing is wrong.
    state.lastError = undefined;
    state.wantedProblem = undefined;
    return;
  }
  if (state.gateway) {
    // A warm isolate keeps its last good table until the version the pointer names loads.
    await tryVersion(env, id);
    return;
  }
  // No table of our own to fall back on: walk the pointer's history, most recently active first.
  const candidates = [...new Set([id, ...pointer.value.history.map((a) => a.id)])];
  const walk: WalkStep[] = [];
  let reads = 0;
  for (const candidate of candidates) {
    // A concurrent request may have loaded a candidate as good as this one (or better) meanwhile.
    if (state.gateway && servedRank(candidates) <= candidates.indexOf(candidate)) break;
    const known = state.rejected.get(candidate);
    if (known) {
      if (candidate === id) state.wantedProblem = problemOf(candidate, known.code);
      walk.push({ version: candidate, outcome: known.code });
      continue; // refused before: no read needed
    }
    if (reads === MAX_VERSION_READS) break;
    reads++;
    const outcome = await tryVersion(env, candidate, candidates);
    walk.push({ version: candidate, outcome });
    if (outcome === "served") break;
  }
  state.lastWalk = walk;
  // A failure of the version named was recorded as `wantedProblem` on the way (tryVersion).
  if (walk[0]?.outcome === "served") state.wantedProblem = undefined;
}

/**
 * Read, check and compile one version and swap it in. `candidates`, on a walk, is the order of
 * preference: a version is not swapped in over a better one a concurrent request already loaded.
 */
async function tryVersion(env: Env, id: string, candidates: string[] = [id]): Promise<WalkStep["outcome"]> {
  const wanted = id === state.pointedAt;
  const known = state.rejected.get(id);
  if (known) {
    // Refused before: records are immutable, so it is neither read nor compiled again.
    if (wanted && state.wantedProblem?.version !== id) state.wantedProblem = problemOf(id, known.code);
    return known.code;
  }
  const text = await env.ROUTES.get(versionKey(id), "text");
  if (text === null) {
    // The pointer can reach this location before the record it names (KV propagates keys
    // independently): not a fault of the version, try again at the next refresh.
    const problem: Omit<LoadError, "at"> = {
      version: id,
      code: "version_missing",
      message: `version ${id} is not visible here yet`,
      kind: "pending",
    };
    if (!state.loggedPending.has(id)) {
      state.loggedPending.add(id);
      noteError(problem);
    }
    if (wanted) state.wantedProblem = { ...problem, at: new Date().toISOString() };
    return "version_missing";
  }
  // Requests that reach a cold isolate together each read the record (a load in flight cannot be
  // shared across requests), but the first to finish compiling serves them all: a request whose reads
  // end after that skips the check and the compile, the costly part of a large table.
  if (servingId() === id) return "served";
  const loaded = await compileVersion(id, text);
  if (loaded.ok === "served") return "served";
  if (!loaded.ok) {
    const problem = reject(id, loaded.code, loaded.reason);
    if (wanted) state.wantedProblem = problem;
    return loaded.code;
  }
  if (state.gateway && servedRank(candidates) < candidates.indexOf(id)) return "served";
  state.gateway = loaded.gateway;
  state.loggedPending.delete(id);
  if (wanted) {
    state.lastError = undefined;
    state.wantedProblem = undefined;
  }
  console.log(
    JSON.stringify({
      type: "route_table_loaded",
      version: loaded.gateway.meta.version,
      id,
      hash: loaded.gateway.meta.hash,
      ...(wanted ? {} : { wanted: state.pointedAt, fallback: true }),
    }),
  );
  return "served";
}

/** Where the version served stands in `candidates` (Infinity: not among them). */
function servedRank(candidates: string[]): number {
  const at = candidates.indexOf(servingId() ?? "");
  return at === -1 ? Number.POSITIVE_INFINITY : at;
}

/** `served`: another request loaded this very version while this one was checking it. */
type Compiled =
  | { ok: true; gateway: GatewayConfig }
  | { ok: false; code: LoadProblemCode; reason: string }
  | { ok: "served" };

async function compileVersion(id: string, text: string): Promise<Compiled> {
  // No zod here: the CLI validated the table before writing it, and the content hash proves this is
  // that table. What is checked is what compiling relies on (docs/kv-layout.md, "Trust boundary").
  const checked = await checkVersionRecord(id, text);
  if (!checked.ok) return checked;
  if (servingId() === id) return { ok: "served" };
  const { info } = checked;
  try {
    // Compiling a checked table should not throw; if it does, the version is skipped like any other.
    const gateway = compileGateway(checked.table, {
      version: info.version,
      hash: info.hash,
      publishedAt: info.publishedAt,
      ...(info.publishedBy ? { publishedBy: info.publishedBy } : {}),
      loadedAt: new Date().toISOString(),
    });
    return { ok: true, gateway };
  } catch (err) {
    return { ok: false, code: "compile_failed", reason: `it does not compile: ${errorText(err)}` };
  }
}

function servingId(): string | undefined {
  return state.gateway && versionId(state.gateway.meta.version, state.gateway.meta.hash);
}

function problemOf(version: string, code: LoadProblemCode): LoadError {
  const known = state.rejected.get(version);
  return {
    version,
    code,
    message: known ? `version ${version} skipped: ${known.reason}` : `version ${version}: ${code}`,
    at: new Date().toISOString(),
    kind: code === "version_missing" || code === "kv_error" ? "pending" : "rejected",
  };
}

function reject(id: string, code: LoadProblemCode, reason: string): LoadError {
  if (state.rejected.size >= FAILED_VERSIONS_LIMIT) {
    const oldest = state.rejected.keys().next().value;
    if (oldest !== undefined) state.rejected.delete(oldest);
  }
  state.rejected.set(id, { code, reason });
  state.loggedPending.delete(id);
  return noteError({
    version: id,
    code,
    message: `version ${id} skipped, ${state.gateway ? "the previous table keeps serving" : "no table to serve"}: ${reason}`,
    kind: "rejected",
  });
}

function noteError(error: Omit<LoadError, "at">): LoadError {
  const repeated = state.lastError?.message === error.message;
  state.lastError = { ...error, at: new Date().toISOString() };
  if (!repeated) console.error(JSON.stringify({ type: "route_table_error", ...state.lastError }));
  return state.lastError;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------------------------------
// For the status view

/**
 * - `current`: serving the version the pointer names;
 * - `fallback`: serving another (the last good table, or an earlier one from the pointer's history)
 *   because the one it names cannot be loaded here, for `reason`;
 * - `unavailable`: something was published, but nothing loads here: the gateway answers 503
 *   `route_table_unavailable`;
 * - `unpublished`: nothing was ever published: the gateway answers 503 `no_route_table`.
 */
export type TableAvailability = "current" | "fallback" | "unavailable" | "unpublished";

export interface TableSourceStatus {
  state: TableAvailability;
  /** The version the pointer named at the last read (undefined: none, or the pointer is unreadable). */
  wantedId: string | undefined;
  /** The version this isolate serves (undefined: none). */
  servingId: string | undefined;
  /** Why `servingId` is not `wantedId`; undefined when it is. */
  reason: LoadError | undefined;
  /** The records the last load with no table to fall back on looked at, in order. */
  walk: WalkStep[];
  lastCheckedAt: string | undefined;
  refreshIntervalSeconds: number;
  lastError: LoadError | undefined;
  /** Versions this isolate refused, with why. */
  rejected: { version: string; code: LoadProblemCode; reason: string }[];
}

export function describeTableSource(env: Env): TableSourceStatus {
  const serving = servingId();
  const reason = state.wantedProblem;
  const availability: TableAvailability = serving
    ? reason || (state.pointedAt !== undefined && state.pointedAt !== serving)
      ? "fallback"
      : "current"
    : reason
      ? "unavailable"
      : "unpublished";
  return {
    state: availability,
    wantedId: state.pointedAt,
    servingId: serving,
    reason,
    walk: state.lastWalk,
    lastCheckedAt: state.checkedAt ? new Date(state.checkedAt).toISOString() : undefined,
    refreshIntervalSeconds: refreshIntervalMs(env) / 1000,
    lastError: state.lastError,
    rejected: [...state.rejected].map(([version, { code, reason }]) => ({ version, code, reason })),
  };
}

/**
 * The table in force once the pointer has been read now: for scheduled work, which has no request to
 * answer first and should act on the version the pointer names rather than the one last seen.
 */
export async function latestGateway(env: Env): Promise<GatewayConfig | undefined> {
  await refreshTable(env);
  return state.gateway;
}
