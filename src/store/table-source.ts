/**
 * The route table this isolate serves, read from KV and compiled once per version.
 *
 * - The compiled table lives in module scope. Only a request that finds no table at all waits for KV
 *   (the isolate's first); every other request is served from memory, and the active pointer is
 *   re-read at most every ROUTES_REFRESH_SECONDS, in `waitUntil`, after the response.
 * - A new version is loaded, checked (envelope, content hash, shape, references; `table-check.ts`) and
 *   compiled once. One that
 *   fails is skipped: the last good table keeps serving, and the failure is logged once per version.
 * - A request keeps the `GatewayConfig` it was handed for its whole life, WebSockets and streams
 *   included: swapping the module-scope table never touches a request already running.
 * - workerd forbids using a Promise or stream created by one request from another, so module scope
 *   holds only settled data (the compiled table, timestamps); never an in-flight refresh.
 */
import { compileGateway, type GatewayConfig } from "../gateway/compile.ts";
import type { Env } from "../gateway/env.ts";
import { ACTIVE_KEY, parseActivePointer, versionId, versionKey } from "./kv-layout.ts";
import { checkVersionRecord } from "./table-check.ts";

export const DEFAULT_REFRESH_SECONDS = 10;
/** A refresh that has not finished after this long is presumed lost (its request context ended). */
const REFRESH_STALE_MS = 30_000;
/** Versions remembered as bad; beyond this the oldest is forgotten (and would be retried). */
const FAILED_VERSIONS_LIMIT = 100;

export interface LoadError {
  /** The version id that could not be used, or undefined when the pointer itself could not be read. */
  version: string | undefined;
  message: string;
  at: string;
  /** `pending`: not visible in this location yet (KV propagation), retried; `rejected`: never retried. */
  kind: "pending" | "rejected";
}

interface SourceState {
  gateway: GatewayConfig | undefined;
  /** When the pointer was last read (started), ms since epoch; 0 = never. */
  checkedAt: number;
  /** When the refresh in progress started; 0 = none in progress. */
  refreshStartedAt: number;
  /** The version id the pointer named at the last successful read. */
  pointedAt: string | undefined;
  /** Versions that can never load (records are immutable), with the reason. */
  rejected: Map<string, string>;
  /** Versions whose absence was already logged (a pending version is logged once, not every refresh). */
  loggedPending: Set<string>;
  lastError: LoadError | undefined;
}

function freshState(): SourceState {
  return {
    gateway: undefined,
    checkedAt: 0,
    refreshStartedAt: 0,
    pointedAt: undefined,
    rejected: new Map(),
    loggedPending: new Set(),
    lastError: undefined,
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

/** The compiled table this request runs on; undefined when no usable table was ever published. */
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
 * Read the pointer and, if it names a version this isolate is not serving, load it. Never throws:
 * every failure leaves the current table in place and is recorded for the status view.
 */
export async function refreshTable(env: Env): Promise<void> {
  const started = Date.now();
  state.checkedAt = started;
  state.refreshStartedAt = started;
  try {
    await refreshOnce(env);
  } catch (err) {
    // KV itself failed (or a bug): keep serving; say so once per distinct message.
    noteError({
      version: undefined,
      message: `reading ${ACTIVE_KEY} failed: ${errorText(err)}`,
      kind: "pending",
    });
  } finally {
    state.refreshStartedAt = 0;
  }
}

async function refreshOnce(env: Env): Promise<void> {
  const pointerText = await env.ROUTES.get(ACTIVE_KEY, "text");
  if (pointerText === null) {
    // Nothing published (or the pointer was removed by hand): keep whatever we serve.
    state.pointedAt = undefined;
    return;
  }
  const pointer = parseActivePointer(pointerText);
  if (!pointer.ok) {
    noteError({
      version: undefined,
      message: `the active pointer is damaged: ${pointer.reason}`,
      kind: "pending",
    });
    return;
  }
  const id = pointer.value.id;
  state.pointedAt = id;
  if (state.gateway && servingId() === id) {
    state.lastError = undefined; // back on (or still on) the version in force: nothing is wrong
    return;
  }
  if (state.rejected.has(id)) return;

  const text = await env.ROUTES.get(versionKey(id), "text");
  if (text === null) {
    // The pointer can reach this location before the record it names (KV propagates keys
    // independently): not a fault of the version, try again at the next refresh.
    if (!state.loggedPending.has(id)) {
      state.loggedPending.add(id);
      noteError({ version: id, message: `version ${id} is not visible here yet`, kind: "pending" });
    }
    return;
  }
  // Requests that reach a cold isolate together each read the record (a load in flight cannot be
  // shared across requests), but the first to finish compiling serves them all: a request whose reads
  // end after that skips the check and the compile, the costly part of a large table.
  if (servingId() === id) return;
  const loaded = await compileVersion(id, text);
  if (loaded.ok === "served") return;
  if (!loaded.ok) {
    reject(id, loaded.reason);
    return;
  }
  state.gateway = loaded.gateway;
  state.loggedPending.delete(id);
  state.lastError = undefined;
  console.log(
    JSON.stringify({
      type: "route_table_loaded",
      version: loaded.gateway.meta.version,
      id,
      hash: loaded.gateway.meta.hash,
    }),
  );
}

/** `served`: another request loaded this very version while this one was checking it. */
type Compiled = { ok: true; gateway: GatewayConfig } | { ok: false; reason: string } | { ok: "served" };

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
    return { ok: false, reason: `it does not compile: ${errorText(err)}` };
  }
}

function servingId(): string | undefined {
  return state.gateway && versionId(state.gateway.meta.version, state.gateway.meta.hash);
}

function reject(id: string, reason: string): void {
  if (state.rejected.size >= FAILED_VERSIONS_LIMIT) {
    const oldest = state.rejected.keys().next().value;
    if (oldest !== undefined) state.rejected.delete(oldest);
  }
  state.rejected.set(id, reason);
  state.loggedPending.delete(id);
  noteError({
    version: id,
    message: `version ${id} skipped, ${state.gateway ? "the previous table keeps serving" : "no table to serve"}: ${reason}`,
    kind: "rejected",
  });
}

function noteError(error: Omit<LoadError, "at">): void {
  const repeated = state.lastError?.message === error.message;
  state.lastError = { ...error, at: new Date().toISOString() };
  if (!repeated) console.error(JSON.stringify({ type: "route_table_error", ...state.lastError }));
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------------------------------
// For the status view

export interface TableSourceStatus {
  /** The version this isolate serves (undefined: none). */
  servingId: string | undefined;
  /** The version the pointer named at the last read; differs from `servingId` while one is skipped. */
  pointerId: string | undefined;
  lastCheckedAt: string | undefined;
  refreshIntervalSeconds: number;
  lastError: LoadError | undefined;
  /** Versions this isolate refused, with why. */
  rejected: { version: string; reason: string }[];
}

export function describeTableSource(env: Env): TableSourceStatus {
  return {
    servingId: servingId(),
    pointerId: state.pointedAt,
    lastCheckedAt: state.checkedAt ? new Date(state.checkedAt).toISOString() : undefined,
    refreshIntervalSeconds: refreshIntervalMs(env) / 1000,
    lastError: state.lastError,
    rejected: [...state.rejected].map(([version, reason]) => ({ version, reason })),
  };
}
