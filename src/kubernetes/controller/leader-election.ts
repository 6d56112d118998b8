/**
 * Leader election on a coordination.k8s.io/v1 Lease, the way client-go's leaderelection package does
 * it, so that of several replicas exactly one publishes and writes status:
 *
 * - every `retryPeriod` each candidate reads the Lease; it takes it when nobody holds it, when it holds it
 *   already (a renewal), or when the holder has not renewed for `leaseDuration` as measured on the
 *   candidate's own clock from when it last saw the record change (no trust in another node's clock);
 * - every write names the resourceVersion it read, so of two candidates racing for an expired Lease the
 *   API server lets one win (the other gets 409 Conflict and stays a follower);
 * - a leader that cannot renew within `renewDeadline` (< leaseDuration) stops acting as leader before
 *   anyone else can take over, so two leaders never overlap even when the API server is unreachable;
 * - on shutdown the leader releases the Lease (holder cleared), so a successor does not wait the lease out.
 */
import { type V1Lease, V1MicroTime } from "@kubernetes/client-node";
import type { KubeApi } from "./kube-api.ts";
import type { Logger } from "./logger.ts";

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  /** How long a holder's claim lasts without renewal. Whole seconds (the Lease field is seconds). */
  leaseDurationSeconds: number;
  /** A leader that has not renewed for this long steps down. Below the lease duration. */
  renewDeadlineMs: number;
  /** How often candidates try and leaders renew. */
  retryPeriodMs: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  logger: Logger;
  /** Clock, for tests. */
  now?: () => number;
}

export class LeaderElector {
  readonly #api: KubeApi;
  readonly #options: LeaderElectionOptions;
  #leading = false;
  #lastRenew = 0;
  /** The record last seen and when (on our clock) it last changed. */
  #observed: { key: string; at: number } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #cycle: Promise<void> = Promise.resolve();

  constructor(api: KubeApi, options: LeaderElectionOptions) {
    if (options.renewDeadlineMs >= options.leaseDurationSeconds * 1000) {
      throw new RangeError("renewDeadline must be shorter than the lease duration");
    }
    this.#api = api;
    this.#options = options;
  }

  /** Leading, and renewed recently enough that nobody else can have taken over. */
  get isLeader(): boolean {
    return this.#leading && this.#now() - this.#lastRenew < this.#options.renewDeadlineMs;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  /** Stop trying; a leader releases the Lease. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#cycle;
    if (!this.#leading) return;
    this.#setLeading(false);
    try {
      const lease = await this.#api.readLease(this.#options.namespace, this.#options.name);
      if (lease?.spec?.holderIdentity !== this.#options.identity) return;
      await this.#api.replaceLease(this.#options.namespace, this.#options.name, {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: undefined,
          leaseDurationSeconds: 1,
          renewTime: new V1MicroTime(this.#now()),
        },
      } as V1Lease);
    } catch (err) {
      this.#options.logger.log("warn", "could not release the lease", { error: message(err) });
    }
  }

  #now(): number {
    return this.#options.now?.() ?? Date.now();
  }

  #schedule(delay: number): void {
    if (!this.#running) return;
    this.#timer = setTimeout(() => {
      this.#cycle = this.#tryAcquireOrRenew().finally(() => this.#schedule(this.#options.retryPeriodMs));
    }, delay);
  }

  async #tryAcquireOrRenew(): Promise<void> {
    const { namespace, name, identity, leaseDurationSeconds } = this.#options;
    const now = this.#now();
    try {
      const lease = await this.#api.readLease(namespace, name);
      const time = new V1MicroTime(now);
      if (!lease) {
        await this.#api.createLease(namespace, {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name, namespace },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds,
            acquireTime: time,
            renewTime: time,
            leaseTransitions: 0,
          },
        });
        this.#renewed(now);
        return;
      }
      const spec = lease.spec ?? {};
      const holder = spec.holderIdentity ?? "";
      const key = `${holder}|${String(spec.renewTime)}|${lease.metadata?.resourceVersion}`;
      if (this.#observed?.key !== key) this.#observed = { key, at: now };
      const durationMs = (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
      const heldByOther = holder !== "" && holder !== identity;
      if (heldByOther && now - this.#observed.at < durationMs) {
        this.#lost();
        return;
      }
      const taking = holder !== identity;
      await this.#api.replaceLease(namespace, name, {
        ...lease,
        spec: {
          ...spec,
          holderIdentity: identity,
          leaseDurationSeconds,
          renewTime: time,
          ...(taking
            ? { acquireTime: time, leaseTransitions: (spec.leaseTransitions ?? 0) + (holder === "" ? 0 : 1) }
            : {}),
        },
      });
      this.#renewed(now);
    } catch (err) {
      // A 409 is another candidate winning the race: not an error worth more than debug.
      const code = (err as { code?: number }).code;
      this.#options.logger.log(code === 409 ? "debug" : "warn", "lease not acquired or renewed", {
        error: message(err),
      });
      if (this.#leading && now - this.#lastRenew >= this.#options.renewDeadlineMs) this.#lost();
    }
  }

  #renewed(at: number): void {
    this.#lastRenew = at;
    if (!this.#leading) this.#setLeading(true);
  }

  #lost(): void {
    if (this.#leading) this.#setLeading(false);
  }

  #setLeading(leading: boolean): void {
    this.#leading = leading;
    this.#options.logger.log("info", leading ? "became the leader" : "stopped leading", {
      lease: `${this.#options.namespace}/${this.#options.name}`,
      identity: this.#options.identity,
    });
    if (leading) this.#options.onStartedLeading();
    else this.#options.onStoppedLeading();
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
