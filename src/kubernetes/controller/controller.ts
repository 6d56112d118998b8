/**
 * `gatehouse controller`: keeps the published route table in step with the cluster.
 *
 * Level-triggered: any change to any watched object (or the periodic resync) schedules one reconcile,
 * and a reconcile always starts from the whole cache: translate every object into the whole table,
 * publish it as `gatehouse push` does (validate; an unchanged table writes nothing; a new one is an
 * immutable version, then the pointer), then write status and events. No reconcile depends on which
 * change woke it, so a missed or coalesced event costs nothing; the next reconcile sees the same world.
 *
 * Changes are debounced (a burst of edits, a `kubectl apply -f dir/`, becomes one publish) with a cap
 * on how long a steady stream can defer it. Reconciles never overlap; a change during one schedules the
 * next. A failed reconcile (KV unreachable, API errors) is retried with backoff. Only the elected leader
 * reconciles; followers keep their caches warm so a takeover publishes within one debounce.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { KvStore } from "../../store/kv-store.ts";
import { type PublishOutcome, publishTable, readActivePointer } from "../../store/publish.ts";
import { DEFAULT_CONTROLLER_NAME, type TranslateOptions, type Translation, translate } from "../translate.ts";
import { Backoff } from "./backoff.ts";
import { EventRecorder } from "./event-recorder.ts";
import { WATCHED_KINDS, watchedKind } from "./kinds.ts";
import { type KubeApi, kubeApiFromConfig } from "./kube-api.ts";
import { LeaderElector } from "./leader-election.ts";
import type { Logger } from "./logger.ts";
import { ObjectCache } from "./object-cache.ts";
import type { PublishState } from "./status.ts";
import { StatusWriter } from "./status-writer.ts";

export interface ControllerOptions {
  kubeConfig: KubeConfig;
  /** Where tables are published (local state, or the real namespace through the Cloudflare API). */
  kv: KvStore;
  logger: Logger;
  /** Claims IngressClasses and GatewayClasses naming this controller. */
  controllerName?: string;
  /** This replica, for the Lease and the records (the pod name in a cluster). */
  identity: string;
  /** The hostname the Worker answers on: Ingress `loadBalancer` and Gateway `addresses`. */
  publicHostname?: string;
  /** Translation defaults (endpoint source, transport, cluster domain). */
  translate?: Omit<TranslateOptions, "controllerName" | "className">;
  lease?: {
    namespace: string;
    name: string;
    durationSeconds?: number;
    renewDeadlineMs?: number;
    retryPeriodMs?: number;
  };
  /** Quiet time after a change before reconciling. */
  debounceMs?: number;
  /** The longest a stream of changes can defer a reconcile. */
  maxDelayMs?: number;
  /** A full reconcile this often even without changes (repairs drift: a hand-made rollback, lost writes). */
  resyncMs?: number;
  /** Server-side watch timeout base (seconds). */
  watchTimeoutSeconds?: number;
  /** The API client (tests may wrap the real one); by default made from kubeConfig. */
  api?: KubeApi;
  /**
   * The translation (default: `translate`). The translator salvages what it can and reports the rest,
   * so a table that fails validation means a defect in it; tests inject one to prove the guard holds.
   */
  translator?: typeof translate;
}

/** One reconcile's outcome, for the log. */
export interface ReconcileReport {
  publish: PublishOutcome["kind"];
  versionId: string | undefined;
  problems: number;
  statusWritten: number;
  events: number;
}

export class Controller {
  readonly #options: ControllerOptions;
  readonly #api: KubeApi;
  readonly #cache: ObjectCache;
  readonly #elector: LeaderElector;
  readonly #events: EventRecorder;
  readonly #status: StatusWriter;
  readonly #controllerName: string;
  readonly #retry = new Backoff({ baseMs: 200, maxMs: 30_000 });
  #timer: NodeJS.Timeout | undefined;
  #timerDue = 0;
  #firstChangeAt: number | undefined;
  #running: Promise<void> | undefined;
  #dirty = false;
  #stopped = true;
  #resync: NodeJS.Timeout | undefined;

  constructor(options: ControllerOptions) {
    this.#options = options;
    this.#controllerName = options.controllerName ?? DEFAULT_CONTROLLER_NAME;
    this.#api = options.api ?? kubeApiFromConfig(options.kubeConfig);
    this.#cache = new ObjectCache(options.kubeConfig, this.#api, {
      kinds: WATCHED_KINDS,
      logger: options.logger,
      onChange: () => this.#changed(),
      ...(options.watchTimeoutSeconds ? { watchTimeoutSeconds: options.watchTimeoutSeconds } : {}),
    });
    const lease = options.lease ?? { namespace: "default", name: "gatehouse-controller" };
    const durationSeconds = lease.durationSeconds ?? 15;
    this.#elector = new LeaderElector(this.#api, {
      namespace: lease.namespace,
      name: lease.name,
      identity: options.identity,
      leaseDurationSeconds: durationSeconds,
      renewDeadlineMs: lease.renewDeadlineMs ?? Math.round(durationSeconds * 1000 * (2 / 3)),
      retryPeriodMs: lease.retryPeriodMs ?? Math.round((durationSeconds * 1000) / 7.5),
      logger: options.logger,
      onStartedLeading: () => this.#schedule(0),
      onStoppedLeading: () => this.#cancelScheduled(),
    });
    this.#status = new StatusWriter(this.#api, this.#cache, {
      controllerName: this.#controllerName,
      ...(options.publicHostname ? { publicHostname: options.publicHostname } : {}),
    });
    this.#events = new EventRecorder(this.#api, {
      controller: this.#controllerName,
      instance: options.identity,
    });
  }

  get isLeader(): boolean {
    return this.#elector.isLeader;
  }

  /** Start watching and campaigning; resolves when the cache is complete. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.#cache.start();
    this.#elector.start();
    const resyncMs = this.#options.resyncMs ?? 5 * 60_000;
    this.#resync = setInterval(() => this.#schedule(0), resyncMs);
    this.#log("info", "controller started", {
      controllerName: this.#controllerName,
      identity: this.#options.identity,
    });
  }

  /**
   * Stop: no new reconcile, the one in flight finishes (a publish is never cut between its version and
   * its pointer), watches close, and the Lease is released so another replica takes over at once.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelScheduled();
    clearInterval(this.#resync);
    await this.#running;
    await this.#cache.stop();
    await this.#elector.stop();
    this.#log("info", "controller stopped");
  }

  #log(level: "debug" | "info" | "warn" | "error", message: string, fields?: Record<string, unknown>): void {
    this.#options.logger.log(level, message, fields);
  }

  #changed(): void {
    if (this.#stopped || !this.#cache.isSynced) return;
    this.#firstChangeAt ??= Date.now();
    const debounce = this.#options.debounceMs ?? 250;
    const maxDelay = this.#options.maxDelayMs ?? 10 * debounce;
    const waited = Date.now() - this.#firstChangeAt;
    this.#schedule(Math.max(0, Math.min(debounce, maxDelay - waited)), true);
  }

  /** Reconcile after `delay`; `replace` moves an already scheduled one (debouncing), else the earlier wins. */
  #schedule(delay: number, replace = false): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#dirty = true;
      return;
    }
    const due = Date.now() + delay;
    if (this.#timer && !replace && this.#timerDue <= due) return;
    clearTimeout(this.#timer);
    this.#timerDue = due;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#firstChangeAt = undefined;
      this.#running = this.#reconcileAndReport().then((retryInMs) => {
        this.#running = undefined;
        const dirty = this.#dirty;
        this.#dirty = false;
        if (retryInMs !== undefined) this.#schedule(retryInMs);
        else if (dirty) this.#schedule(this.#options.debounceMs ?? 250);
      });
    }, delay);
  }

  #cancelScheduled(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#firstChangeAt = undefined;
  }

  /** Runs one reconcile if leading; returns the backoff delay when it failed. */
  async #reconcileAndReport(): Promise<number | undefined> {
    try {
      const report = await this.reconcileOnce();
      if (report === undefined) return undefined;
      this.#retry.reset();
      return undefined;
    } catch (err) {
      const delay = this.#retry.next();
      this.#log("warn", "reconcile failed; retrying", {
        error: err instanceof Error ? err.message : String(err),
        attempt: this.#retry.failures,
        retryInMs: delay,
      });
      return delay;
    }
  }

  /**
   * One reconcile from the cache as it is: translate, publish, status, events. Does nothing (and returns
   * undefined) unless this replica leads. Throws on KV or API faults (the caller retries).
   */
  async reconcileOnce(): Promise<ReconcileReport | undefined> {
    if (!this.#elector.isLeader) return undefined;
    const objects = this.#cache.snapshot();
    const translation = this.translateNow(objects);
    for (const problem of translation.problems) {
      if (problem.severity === "error") {
        this.#log("debug", "not honoured", {
          object: problem.object,
          field: problem.field,
          reason: problem.reason,
        });
      }
    }
    // The last look before writing: a replica that stopped leading while translating must not publish.
    if (!this.#elector.isLeader) return undefined;
    const outcome = await publishTable(this.#options.kv, translation.table, {
      publishedBy: `gatehouse controller (${this.#options.identity})`,
      message: `${translation.status.httpRoutes.length} HTTPRoute(s), ${translation.status.ingresses.length} Ingress(es)`,
    });
    const publish = await this.#publishState(outcome);
    const status = await this.#status.write(translation, publish);
    const events = await this.#events.record(translation.problems, (problem) => this.#find(problem.object));
    const report: ReconcileReport = {
      publish: outcome.kind,
      versionId: publish.kind === "programmed" ? publish.versionId : undefined,
      problems: translation.problems.length,
      statusWritten: status.written,
      events,
    };
    this.#log(outcome.kind === "unchanged" ? "debug" : "info", "reconciled", { ...report });
    if (status.failed.length > 0) {
      // Conflicts are the normal price of optimistic concurrency: try again from the fresh cache.
      throw new Error(
        `status not written for ${status.failed.map((f) => `${f.object} (${f.error})`).join("; ")}`,
      );
    }
    return report;
  }

  async #publishState(outcome: PublishOutcome): Promise<PublishState> {
    switch (outcome.kind) {
      case "published":
        return { kind: "programmed", versionId: outcome.version.id };
      case "unchanged":
        return { kind: "programmed", versionId: outcome.active.id };
      case "invalid": {
        const first = outcome.problems[0];
        this.#log("error", "the translated table failed validation; nothing was published", {
          problems: outcome.problems.map((p) => `${p.path}: ${p.message}`).slice(0, 20),
        });
        const active = await readActivePointer(this.#options.kv).catch(() => undefined);
        return {
          kind: "invalid",
          reason: `${outcome.problems.length} problem(s)${first ? `, first: ${first.path}: ${first.message}` : ""}`,
          activeVersionId: active?.id,
        };
      }
    }
  }

  #find(ref: { kind: string; namespace: string; name: string }): ReturnType<ObjectCache["get"]> {
    const kind = watchedKind(ref.kind);
    return kind && this.#cache.get(kind, ref.namespace, ref.name);
  }

  /** The whole translation of the cache as it is, without publishing (for diagnostics and tests). */
  translateNow(objects = this.#cache.snapshot()): Translation {
    const translator = this.#options.translator ?? translate;
    return translator(objects, { ...this.#options.translate, controllerName: this.#controllerName });
  }
}
