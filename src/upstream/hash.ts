/**
 * Small non-cryptographic hashes for load balancing. Nothing here protects anything: session values are
 * signed separately (`affinity.ts`); these only spread keys evenly and name endpoints stably.
 */

/** FNV-1a over UTF-16 code units, 32 bits. */
export function fnv1a32(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** MurmurHash3's finaliser: every input bit flips about half of the output bits. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A stable opaque name for a string (an endpoint's cluster and URL): 64 bits from two independent
 * 32-bit hashes, as 16 hex digits. It says nothing about the URL it came from.
 */
export function stableId(text: string): string {
  const hi = mix32(fnv1a32(text));
  const lo = mix32(fnv1a32(text, 0x9747b28c) ^ hi);
  return hi.toString(16).padStart(8, "0") + lo.toString(16).padStart(8, "0");
}

/**
 * Rendezvous (highest random weight) score of one endpoint for one key, weighted as in
 * "Weighted Distributed Hash Tables" (Schindelhauer & Schomaker): `weight / -ln(u)` with `u` uniform in
 * (0, 1) from the pair's hash. The endpoint with the highest score wins. Adding an endpoint only takes
 * the keys it now wins, about `weight / total` of them; every other key keeps its endpoint.
 */
export function rendezvousScore(keyHash: number, endpointSeed: number, weight: number): number {
  const h = mix32(keyHash ^ Math.imul(endpointSeed, 0x9e3779b1));
  const u = (h + 0.5) / 4294967296;
  return weight / -Math.log(u);
}
