/**
 * Gateway API match precedence, as the contract fixes it (within one hostname tier):
 *   1. an Exact path, then a RegularExpression path (longer pattern first), then a PathPrefix (longer
 *      prefix first);
 *   2. a match with a method over one without;
 *   3. more header matches;
 *   4. more query-parameter matches;
 *   5. the route listed first, then the rule listed first, then the match listed first.
 *
 * The hostname tier (exact host, then wildcards longest first, then routes without hostnames) comes
 * before all of this; the matcher gets it from its lookup order, not from this key.
 */

export const PathKind = { Exact: 0, RegularExpression: 1, PathPrefix: 2 } as const;
export type PathKind = (typeof PathKind)[keyof typeof PathKind];

export interface PrecedenceKey {
  readonly pathKind: PathKind;
  /**
   * Characters that decide between two paths of the same kind: the pattern's length for a regular
   * expression, the normalised prefix's length without its trailing slash for a prefix (`/foo/` and
   * `/foo` are the same prefix), 0 for an exact path.
   */
  readonly pathLength: number;
  readonly hasMethod: boolean;
  readonly headerCount: number;
  readonly queryCount: number;
  readonly routeIndex: number;
  readonly ruleIndex: number;
  readonly matchIndex: number;
}

/** Negative when `a` takes precedence over `b`. A total order: two different matches never tie. */
export function comparePrecedence(a: PrecedenceKey, b: PrecedenceKey): number {
  return (
    a.pathKind - b.pathKind ||
    b.pathLength - a.pathLength ||
    Number(b.hasMethod) - Number(a.hasMethod) ||
    b.headerCount - a.headerCount ||
    b.queryCount - a.queryCount ||
    a.routeIndex - b.routeIndex ||
    a.ruleIndex - b.ruleIndex ||
    a.matchIndex - b.matchIndex
  );
}
