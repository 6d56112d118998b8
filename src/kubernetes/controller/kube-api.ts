/**
 * The few Kubernetes API calls the controller makes, over `@kubernetes/client-node`: list a watched
 * kind (as wire JSON), patch an object's status subresource, create an event, and read/write one Lease.
 * Everything above this file deals in plain objects as the API server sends them, never in the client's
 * typed models (their `Date`s and dropped unknown fields would make a list and a watch event of the
 * same object differ).
 */
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  type EventsV1Event,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Lease,
} from "@kubernetes/client-node";
import type { KubeObject } from "../objects.ts";
import { apiVersionOf, type WatchedKind } from "./kinds.ts";

export interface ObjectList {
  resourceVersion: string;
  items: KubeObject[];
}

/** An API call failed with an HTTP status (a `Status` from the server, or a transport fault as 0). */
export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** What the client-node calls throw, as a `KubeApiError` naming the call and the server's message. */
export function kubeApiError(what: string, err: unknown): KubeApiError {
  if (err instanceof KubeApiError) return err;
  if (err instanceof ApiException) {
    const body = err.body as { message?: unknown } | string | undefined;
    const detail =
      typeof body === "object" && body && typeof body.message === "string"
        ? body.message
        : String(body ?? "");
    return new KubeApiError(err.code, `${what}: ${err.code}${detail ? ` ${detail}` : ""}`);
  }
  return new KubeApiError(0, `${what}: ${err instanceof Error ? err.message : String(err)}`);
}

export interface KubeApi {
  list(kind: WatchedKind): Promise<ObjectList>;
  /** JSON merge patch of `.../status`, conditional on `resourceVersion` (a 409 if it moved); the result. */
  patchStatus(
    kind: WatchedKind,
    ref: { namespace: string; name: string; resourceVersion?: string },
    status: unknown,
  ): Promise<KubeObject>;
  createEvent(namespace: string, event: EventsV1Event): Promise<void>;
  readLease(namespace: string, name: string): Promise<V1Lease | undefined>;
  createLease(namespace: string, lease: V1Lease): Promise<V1Lease>;
  replaceLease(namespace: string, name: string, lease: V1Lease): Promise<V1Lease>;
}

/** Items of a list carry no kind/apiVersion for built-in kinds (the list says them): put them back. */
function stamp(kind: WatchedKind, item: unknown): KubeObject {
  const object = item as Record<string, unknown>;
  return { ...object, apiVersion: apiVersionOf(kind), kind: kind.kind } as KubeObject;
}

/** A typed model back to wire JSON: its Dates become the strings they were sent as. */
function wireJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

export function kubeApiFromConfig(kc: KubeConfig): KubeApi {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const events = kc.makeApiClient(EventsV1Api);
  const leases = kc.makeApiClient(CoordinationV1Api);
  const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

  const call = async <T>(what: string, operation: () => Promise<T>): Promise<T> => {
    try {
      return await operation();
    } catch (err) {
      throw kubeApiError(what, err);
    }
  };

  return {
    async list(kind) {
      return call(`list ${kind.plural}`, async () => {
        // The custom-objects client is a plain `/apis/GROUP/VERSION/PLURAL` path builder that returns the
        // JSON as sent: right for every grouped kind, built-in or not. The core group (`/api/v1`) has no
        // such path; Services are its only watched kind.
        if (kind.group === "" && kind.plural !== "services")
          throw new Error(`no list call for core ${kind.plural}`);
        const list = (
          kind.group === ""
            ? wireJson(await core.listServiceForAllNamespaces())
            : await custom.listClusterCustomObject({
                group: kind.group,
                version: kind.version,
                plural: kind.plural,
              })
        ) as { metadata?: { resourceVersion?: string }; items?: unknown[] };
        return {
          resourceVersion: list.metadata?.resourceVersion ?? "",
          items: (list.items ?? []).map((item) => stamp(kind, item)),
        };
      });
    },

    async patchStatus(kind, ref, status) {
      const body = {
        ...(ref.resourceVersion ? { metadata: { resourceVersion: ref.resourceVersion } } : {}),
        status,
      };
      const path = { group: kind.group, version: kind.version, plural: kind.plural, name: ref.name, body };
      const written = await call(
        `patch ${kind.plural} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name} status`,
        () =>
          kind.namespaced
            ? custom.patchNamespacedCustomObjectStatus({ ...path, namespace: ref.namespace }, mergePatch)
            : custom.patchClusterCustomObjectStatus(path, mergePatch),
      );
      return stamp(kind, written);
    },

    async createEvent(namespace, event) {
      await call("create event", () => events.createNamespacedEvent({ namespace, body: event }));
    },

    async readLease(namespace, name) {
      try {
        return await leases.readNamespacedLease({ namespace, name });
      } catch (err) {
        const error = kubeApiError(`read lease ${namespace}/${name}`, err);
        if (error.code === 404) return undefined;
        throw error;
      }
    },

    createLease: (namespace, lease) =>
      call(`create lease ${namespace}/${lease.metadata?.name}`, () =>
        leases.createNamespacedLease({ namespace, body: lease }),
      ),

    replaceLease: (namespace, name, lease) =>
      call(`replace lease ${namespace}/${name}`, () =>
        leases.replaceNamespacedLease({ namespace, name, body: lease }),
      ),
  };
}
