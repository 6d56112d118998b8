// STUB: replaced by the routing core (issue 2).
import type { RouteTable } from "../config/schema.ts";
import type { CompiledRouteTable } from "./types.ts";
export function compileRouteTable(table: RouteTable): CompiledRouteTable {
  return { table, rules: [] };
}
