/**
 * Endpoint choice within a cluster: RoundRobin, Random, ConsistentHash (rendezvous). Each balancer picks
 * among the endpoints an `eligible` predicate admits (healthy, not yet tried, weight > 0: `pick.ts`
 * decides), so ejection and retries never need a balancer of their own.
 */
import type { LoadBalancer } from "../config/schema.ts";
import type { CompiledEndpoint } from "./clusters.ts";
import { fnv1a32, rendezvousScore } from "./hash.ts";

export type Eligible = (endpoint: CompiledEndpoint) => boolean;

/** What ConsistentHash hashes; `undefined` when the request carries no key (then: weighted random). */
export type HashKeySource =
  | { readonly from: "header"; readonly name: string }
  | { readonly from: "cookie"; readonly name: string }
  | { readonly from: "sourceIP" }
  | { readonly from: "claim"; readonly name: string };

export interface Balancer {
  readonly type: LoadBalancer["type"];
  /** Set for ConsistentHash: where the per-request key comes from. */
  readonly hashKey: HashKeySource | undefined;
  /** `key` is the ConsistentHash key, when there is one. Undefined when nothing is eligible. */
  pick(eligible: Eligible, key: string | undefined, random: () => number): CompiledEndpoint | undefined;
}

export function compileBalancer(config: LoadBalancer, endpoints: readonly CompiledEndpoint[]): Balancer {
  switch (config.type) {
    case "RoundRobin":
      return roundRobin(endpoints);
    case "Random":
      return {
        type: "Random",
        hashKey: undefined,
        pick: (eligible, _key, random) => weightedRandom(endpoints, eligible, random),
      };
    case "ConsistentHash":
      return consistentHash(endpoints, hashKeySource(config));
  }
}

function hashKeySource(config: Extract<LoadBalancer, { type: "ConsistentHash" }>): HashKeySource {
  if (config.header !== undefined) return { from: "header", name: config.header.toLowerCase() };
  if (config.cookie !== undefined) return { from: "cookie", name: config.cookie };
  if (config.claim !== undefined) return { from: "claim", name: config.claim };
  return { from: "sourceIP" };
}

// ---------------------------------------------------------------------------------------------------
// RoundRobin

/** Longest precomputed schedule; larger weight sums are scaled down to it (ratios kept to ~0.1 %). */
const MAX_SCHEDULE = 1024;

/**
 * Smooth weighted round robin (nginx's), unrolled once per table into a schedule of endpoint indices:
 * weights 7/3 give `a a b a a b a a b a`-like interleaving rather than seven a's then three b's. The
 * counter is this isolate's own and advances once per pick; endpoints that are not eligible are
 * skipped, so ejected pods simply drop out of the rotation.
 */
function roundRobin(endpoints: readonly CompiledEndpoint[]): Balancer {
  const schedule = smoothSchedule(endpoints.map((e) => e.weight));
  let counter = 0;
  return {
    type: "RoundRobin",
    hashKey: undefined,
    pick(eligible) {
      for (let step = 0; step < schedule.length; step++) {
        const endpoint = endpoints[schedule[counter]!]!;
        counter = (counter + 1) % schedule.length;
        if (eligible(endpoint)) return endpoint;
      }
      return undefined;
    },
  };
}

export function smoothSchedule(weights: readonly number[]): number[] {
  const scaled = scaleWeights(weights);
  const total = scaled.reduce((a, b) => a + b, 0);
  const current = scaled.map(() => 0);
  const schedule: number[] = [];
  for (let slot = 0; slot < total; slot++) {
    let best = -1;
    for (let i = 0; i < scaled.length; i++) {
      if (scaled[i] === 0) continue;
      current[i]! += scaled[i]!;
      if (best === -1 || current[i]! > current[best]!) best = i;
    }
    current[best]! -= total;
    schedule.push(best);
  }
  return schedule;
}

function scaleWeights(weights: readonly number[]): number[] {
  const divisor = weights.reduce((g, w) => (w > 0 ? gcd(g, w) : g), 0) || 1;
  const reduced = weights.map((w) => w / divisor);
  const total = reduced.reduce((a, b) => a + b, 0);
  if (total <= MAX_SCHEDULE) return reduced;
  return reduced.map((w) => (w === 0 ? 0 : Math.max(1, Math.round((w * MAX_SCHEDULE) / total))));
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

// ---------------------------------------------------------------------------------------------------
// Random

export function weightedRandom(
  endpoints: readonly CompiledEndpoint[],
  eligible: Eligible,
  random: () => number,
): CompiledEndpoint | undefined {
  let total = 0;
  for (const e of endpoints) if (eligible(e)) total += e.weight;
  if (total === 0) return undefined;
  let point = random() * total;
  let last: CompiledEndpoint | undefined;
  for (const e of endpoints) {
    if (!eligible(e)) continue;
    last = e;
    point -= e.weight;
    if (point < 0) return e;
  }
  return last;
}

// ---------------------------------------------------------------------------------------------------
// ConsistentHash

/**
 * Rendezvous hashing: every eligible endpoint scores the key and the best score wins. O(endpoints) per
 * request with no ring to rebuild, and when an endpoint is ejected only its own keys move (each to its
 * runner-up); they come back when it does.
 */
function consistentHash(endpoints: readonly CompiledEndpoint[], source: HashKeySource): Balancer {
  return {
    type: "ConsistentHash",
    hashKey: source,
    pick(eligible, key, random) {
      if (key === undefined) return weightedRandom(endpoints, eligible, random);
      return rendezvousPick(endpoints, eligible, fnv1a32(key));
    },
  };
}

export function rendezvousPick(
  endpoints: readonly CompiledEndpoint[],
  eligible: Eligible,
  keyHash: number,
): CompiledEndpoint | undefined {
  let best: CompiledEndpoint | undefined;
  let bestScore = -1;
  for (const e of endpoints) {
    if (!eligible(e)) continue;
    const score = rendezvousScore(keyHash, e.seed, e.weight);
    if (score > bestScore) {
      best = e;
      bestScore = score;
    }
  }
  return best;
}
