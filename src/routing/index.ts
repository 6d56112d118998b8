/** The routing core: plain TypeScript, no Workers globals; the worker and the CLI share it. */
export { compileRouteTable, effectiveTls } from "./compile.ts";
export { matchRoute } from "./match.ts";
export { type NormalizedPath, normalizeHost, normalizePath } from "./normalize.ts";
export {
  PATH_READING_NAMES,
  type PathReadingName,
  type PathReadingSettings,
} from "./origin-readings.ts";
export { type Ambiguity, ambiguityMessage, findAmbiguity } from "./path-ambiguity.ts";
export { comparePrecedence, type PrecedenceKey } from "./precedence.ts";
export { RegexSubjectTooLong } from "./regex.ts";
export { type RedirectSource, type RequestRedirect, redirectLocation, rewritePath } from "./rewrite.ts";
export type { CompiledRouteTable, CompiledRule, MatchInput, RouteMatch } from "./types.ts";
