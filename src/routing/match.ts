// STUB: replaced by the routing core (issue 2).
import type { CompiledRouteTable, MatchInput, RouteMatch } from "./types.ts";
export function matchRoute(_compiled: CompiledRouteTable, _input: MatchInput): RouteMatch | undefined {
  return undefined;
}
