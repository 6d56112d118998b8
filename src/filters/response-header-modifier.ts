/**
 * Gateway API `ResponseHeaderModifier`: the same remove/set/add as `RequestHeaderModifier`, applied to
 * the origin's response headers on the way back. The gateway's own answers (errors, redirects,
 * preflights) are not origin responses and are left alone.
 */
import { applyHeaderModifier, type CompiledHeaderModifier } from "./request-header-modifier.ts";

export function applyResponseHeaderModifier(headers: Headers, modifier: CompiledHeaderModifier): void {
  applyHeaderModifier(headers, modifier);
}
