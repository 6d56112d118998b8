export { compileRouteTable } from "./compile.ts";
export { matchRoute } from "./match.ts";
export { normalizeHost, normalizePath } from "./normalize.ts";
export type { CompiledRouteTable, CompiledRule, MatchInput, RouteMatch } from "./types.ts";
