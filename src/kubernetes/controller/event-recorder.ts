/**
 * Kubernetes Events (events.k8s.io/v1) for what a translation could not honour, on the object it is
 * about, so `kubectl describe httproute orders` and `kubectl events` show every unsupported field with
 * its path and reason. Each problem is reported once per object generation: a re-translation that finds
 * the same problem again (every change anywhere re-translates everything) says nothing new.
 */
import { randomBytes } from "node:crypto";
import { type EventsV1Event, V1MicroTime } from "@kubernetes/client-node";
import type { KubeObject } from "../objects.ts";
import type { ImportProblem } from "../translate.ts";
import type { KubeApi } from "./kube-api.ts";

/** Events need a namespace; a cluster-scoped object's go to `default`, as kubectl's do. */
const CLUSTER_EVENTS_NAMESPACE = "default";
const NOTE_LIMIT = 1024;
/** Bounded memory: forget what was reported when the set grows past this (at worst, one repeat). */
const REMEMBERED_LIMIT = 10_000;

export interface EventRecorderOptions {
  /** `reportingController`: the controller name. */
  controller: string;
  /** `reportingInstance`: this replica. */
  instance: string;
}

export class EventRecorder {
  readonly #api: KubeApi;
  readonly #options: EventRecorderOptions;
  readonly #reported = new Set<string>();

  constructor(api: KubeApi, options: EventRecorderOptions) {
    this.#api = api;
    this.#options = options;
  }

  /** One event per problem not yet reported for its object's current generation. */
  async record(
    problems: readonly ImportProblem[],
    find: (problem: ImportProblem) => KubeObject | undefined,
  ): Promise<number> {
    let created = 0;
    for (const problem of problems) {
      const object = find(problem);
      const meta = object?.metadata;
      if (!object || !meta?.uid) continue; // not in the cluster (any more): nobody to tell
      const key = `${meta.uid}|${meta.generation ?? meta.resourceVersion}|${problem.severity}|${problem.field}|${problem.reason}`;
      if (this.#reported.has(key)) continue;
      await this.#api.createEvent(meta.namespace || CLUSTER_EVENTS_NAMESPACE, this.#event(object, problem));
      if (this.#reported.size >= REMEMBERED_LIMIT) this.#reported.clear();
      this.#reported.add(key);
      created++;
    }
    return created;
  }

  #event(object: KubeObject, problem: ImportProblem): EventsV1Event {
    const meta = object.metadata ?? {};
    const note = problem.field ? `${problem.field}: ${problem.reason}` : problem.reason;
    return {
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: {
        // As client-go names them: the object's name and a unique suffix.
        name: `${meta.name}.${randomBytes(8).toString("hex")}`,
        namespace: meta.namespace || CLUSTER_EVENTS_NAMESPACE,
      },
      eventTime: new V1MicroTime(),
      reportingController: this.#options.controller,
      reportingInstance: this.#options.instance,
      action: "Translate",
      type: problem.severity === "error" ? "Warning" : "Normal",
      reason: problem.severity === "error" ? "UnsupportedField" : "TranslatedWithDifference",
      note: note.length <= NOTE_LIMIT ? note : `${note.slice(0, NOTE_LIMIT - 1)}…`,
      regarding: {
        apiVersion: object.apiVersion,
        kind: object.kind,
        name: meta.name,
        ...(meta.namespace ? { namespace: meta.namespace } : {}),
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
    };
  }
}
