/**
 * The status the controller writes back, computed from a translation and the object's current status:
 * pure functions, so what external-dns, Argo CD and `kubectl describe` will read is decided here and
 * tested without a cluster. The writer (status-writer.ts) only sends what these return.
 *
 * Rules the Gateway API spec sets and this follows:
 * - `HTTPRoute.status.parents[]` is shared between controllers: we own only the entries whose
 *   `controllerName` is ours, and leave every other entry exactly as found;
 * - a condition's `lastTransitionTime` changes only when its `status` changes;
 * - every condition carries the `observedGeneration` it was computed from.
 * Each function returns the JSON merge patch for `status` (what changes, `null` to remove), or
 * `undefined` when the object already says it.
 *
 * The `Programmed` condition on routes and Gateways is ours: True names the first published table
 * version that carried the object's current generation; False says why it is not served as written (not
 * accepted, or the table failed validation and the previous version stays active). It names the first
 * version, not the latest, so that publishing a change to one route rewrites the status of that route
 * only: naming the latest would rewrite every route's status on every publish, N API writes (and N
 * watch events back) for one edit.
 */
import { canonicalJson } from "../../store/kv-layout.ts";
import type {
  Condition,
  GatewayClassStatus,
  GatewayStatus,
  HTTPRouteStatus,
  IngressStatus,
} from "../translate.ts";

/** A condition as stored (metav1.Condition). */
export interface StoredCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

/** What the last publish attempt means for the objects in it. */
export type PublishState =
  | { kind: "programmed"; versionId: string }
  | { kind: "invalid"; reason: string; activeVersionId: string | undefined };

export const PROGRAMMED = "Programmed";

/** Conditions are capped at 32 KiB of message; ours stay well below, but a table's problems can be long. */
const MAX_MESSAGE = 1024;

function clip(text: string): string {
  return text.length <= MAX_MESSAGE ? text : `${text.slice(0, MAX_MESSAGE - 1)}…`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function storedConditions(value: unknown): StoredCondition[] {
  return Array.isArray(value) ? (value.filter(isObject) as unknown as StoredCondition[]) : [];
}

/** Desired conditions stamped with generation, keeping each one's transition time when its status holds. */
export function mergeConditions(
  existing: unknown,
  desired: readonly Condition[],
  generation: number | undefined,
  now: string,
): StoredCondition[] {
  const before = storedConditions(existing);
  return desired.map((c) => {
    const previous = before.find((p) => p.type === c.type);
    return {
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: clip(c.message),
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      lastTransitionTime: previous && previous.status === c.status ? previous.lastTransitionTime : now,
    };
  });
}

/** The Programmed condition for an object whose own conditions say whether it was accepted. */
export function programmedCondition(accepted: boolean, publish: PublishState): Condition {
  if (!accepted) {
    return {
      type: PROGRAMMED,
      status: "False",
      reason: "Invalid",
      message: "not accepted, so not in the route table",
    };
  }
  if (publish.kind === "programmed") {
    return {
      type: PROGRAMMED,
      status: "True",
      reason: "Programmed",
      message: `in route table version ${publish.versionId}`,
    };
  }
  return {
    type: PROGRAMMED,
    status: "False",
    reason: "Invalid",
    message: `the route table failed validation and was not published (${publish.reason}); ${
      publish.activeVersionId ? `version ${publish.activeVersionId} stays active` : "no version is active"
    }`,
  };
}

/**
 * The Programmed condition to write: a True one already written for this same generation stays as it
 * is (it names the version that first carried this generation, which still serves it).
 */
function programmedFor(
  previous: unknown,
  accepted: boolean,
  publish: PublishState,
  generation: number | undefined,
): Condition {
  const next = programmedCondition(accepted, publish);
  const before = storedConditions(previous).find((c) => c.type === PROGRAMMED);
  if (next.status === "True" && before?.status === "True" && before.observedGeneration === generation) {
    return { type: PROGRAMMED, status: "True", reason: before.reason, message: before.message };
  }
  return next;
}

function isAccepted(conditions: readonly Condition[]): boolean {
  return conditions.some((c) => c.type === "Accepted" && c.status === "True");
}

/** Same parent reference, with the spec's defaults (group gateway.networking.k8s.io, kind Gateway). */
function sameParent(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const norm = (p: Record<string, unknown>) =>
    canonicalJson({
      group: p.group ?? "gateway.networking.k8s.io",
      kind: p.kind ?? "Gateway",
      namespace: p.namespace,
      name: p.name,
      sectionName: p.sectionName,
      port: p.port,
    });
  return norm(a) === norm(b);
}

/**
 * `status` for an HTTPRoute: other controllers' parent entries untouched and first, ours replaced by
 * the translation's (none, when the route is no longer ours). `undefined` when nothing would change.
 */
export function httpRouteStatus(
  current: unknown,
  desired: HTTPRouteStatus | undefined,
  controllerName: string,
  publish: PublishState,
  now: string,
): { parents: unknown[] } | undefined {
  const currentParents =
    isObject(current) && Array.isArray(current.parents) ? current.parents.filter(isObject) : [];
  const others = currentParents.filter((p) => p.controllerName !== controllerName);
  const ours = (desired?.parents ?? []).map((parent) => {
    const previous = currentParents.find(
      (p) =>
        p.controllerName === controllerName &&
        isObject(p.parentRef) &&
        sameParent(p.parentRef, parent.parentRef as Record<string, unknown>),
    );
    const conditions = [
      ...parent.conditions,
      programmedFor(previous?.conditions, isAccepted(parent.conditions), publish, desired?.generation),
    ];
    return {
      parentRef: parent.parentRef,
      controllerName,
      conditions: mergeConditions(previous?.conditions, conditions, desired?.generation, now),
    };
  });
  const next = { parents: [...others, ...ours] };
  return canonicalJson(next.parents) === canonicalJson(currentParents) ? undefined : next;
}

export interface GatewayStatusOptions {
  /** The public hostname the Worker answers on (written to `status.addresses`). */
  publicHostname?: string;
}

/** `status` for a Gateway of our class: conditions (with Programmed), listeners, addresses. */
export function gatewayStatus(
  current: unknown,
  desired: GatewayStatus,
  publish: PublishState,
  options: GatewayStatusOptions,
  now: string,
): Record<string, unknown> | undefined {
  const before = isObject(current) ? current : {};
  const beforeListeners = Array.isArray(before.listeners) ? before.listeners.filter(isObject) : [];
  const conditions = [
    ...desired.conditions,
    programmedFor(before.conditions, isAccepted(desired.conditions), publish, desired.generation),
  ];
  const next: Record<string, unknown> = {
    ...(options.publicHostname ? { addresses: [{ type: "Hostname", value: options.publicHostname }] } : {}),
    conditions: mergeConditions(before.conditions, conditions, desired.generation, now),
    listeners: desired.listeners.map((listener) => ({
      name: listener.name,
      supportedKinds: listener.supportedKinds,
      attachedRoutes: listener.attachedRoutes,
      conditions: mergeConditions(
        beforeListeners.find((l) => l.name === listener.name)?.conditions,
        listener.conditions,
        desired.generation,
        now,
      ),
    })),
  };
  return unchanged(before, next) ? undefined : next;
}

export function gatewayClassStatus(
  current: unknown,
  desired: GatewayClassStatus,
  now: string,
): Record<string, unknown> | undefined {
  const before = isObject(current) ? current : {};
  const next = {
    conditions: mergeConditions(before.conditions, desired.conditions, desired.generation, now),
  };
  return unchanged(before, next) ? undefined : next;
}

/**
 * `status` for an Ingress: `loadBalancer.ingress` names the public hostname while the Ingress is in the
 * table (what external-dns and Argo CD's health check read), and is emptied when it is not.
 */
export function ingressStatus(
  current: unknown,
  desired: IngressStatus,
  publicHostname: string | undefined,
): Record<string, unknown> | undefined {
  if (!publicHostname) return undefined;
  const before = isObject(current) ? current : {};
  const loadBalancer = isObject(before.loadBalancer) ? before.loadBalancer : {};
  if (!desired.accepted) {
    // A merge patch removes a member with null.
    return loadBalancer.ingress === undefined ? undefined : { loadBalancer: { ingress: null } };
  }
  const next = { loadBalancer: { ingress: [{ hostname: publicHostname }] } };
  return unchanged(before, next) ? undefined : next;
}

/** Whether every field `next` sets is already so in `before` (fields it does not set are not ours). */
function unchanged(before: Record<string, unknown>, next: Record<string, unknown>): boolean {
  return Object.entries(next).every(([key, value]) => canonicalJson(before[key]) === canonicalJson(value));
}
