/**
 * Gateway API `RequestHeaderModifier`: remove, then set (replace), then add (append) headers on the
 * request the origin receives. Names are lower-cased once per table. The compiled form and `apply` are
 * shared with `ResponseHeaderModifier`, which does the same to the response.
 *
 * The `Host` the origin sees is not a header here: `URLRewrite.hostname` or the cluster's `hostname`
 * decide it (src/upstream/forward.ts).
 */
import type { HeaderModifier } from "../config/schema.ts";
import type { UpstreamDraft } from "../gateway/draft.ts";

export interface CompiledHeaderModifier {
  readonly remove: readonly string[];
  readonly set: readonly (readonly [string, string])[];
  readonly add: readonly (readonly [string, string])[];
}

export function compileHeaderModifier(modifier: HeaderModifier): CompiledHeaderModifier {
  const pairs = (list: HeaderModifier["set"]) =>
    (list ?? []).map(({ name, value }) => [name.toLowerCase(), value] as const);
  return {
    remove: (modifier.remove ?? []).map((name) => name.toLowerCase()),
    set: pairs(modifier.set),
    add: pairs(modifier.add),
  };
}

export function applyHeaderModifier(headers: Headers, modifier: CompiledHeaderModifier): void {
  for (const name of modifier.remove) headers.delete(name);
  for (const [name, value] of modifier.set) headers.set(name, value);
  for (const [name, value] of modifier.add) headers.append(name, value);
}

export function applyRequestHeaderModifier(draft: UpstreamDraft, modifier: CompiledHeaderModifier): void {
  applyHeaderModifier(draft.headers, modifier);
}
