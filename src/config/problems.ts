/**
 * How validation speaks: every finding is a `Problem` pinned to one field of the table, written as
 * `routes[2].rules[0].backendRefs[0].name: no cluster "ordrs"`. Checks collect into a `ProblemReport`
 * so that one run reports everything at once.
 */

export interface Problem {
  /** `routes[2].rules[0].backendRefs[0].name`; empty for the table as a whole. */
  path: string;
  message: string;
}

/** One step into the table: an object key or an array index. */
export type PathSegment = string | number;
export type FieldPath = readonly PathSegment[];

/** `path: message`, or the bare message for a problem with the whole table. */
export function formatProblem(problem: Problem): string {
  return problem.path ? `${problem.path}: ${problem.message}` : problem.message;
}

// A key that reads unambiguously after a dot. Names may contain `.` (`orders.v2`): those are quoted so that
// `clusters["orders.v2"].endpoints[0]` cannot be mistaken for a nested field.
const PLAIN_KEY = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

/** `["routes", 2, "rules", 0, "name"]` → `routes[2].rules[0].name`; `["clusters", "a.b"]` → `clusters["a.b"]`. */
export function formatPath(path: FieldPath): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Collects errors and warnings in the order the checks find them. */
export class ProblemReport {
  readonly errors: Problem[] = [];
  readonly warnings: Problem[] = [];

  error(path: FieldPath, message: string): void {
    this.errors.push({ path: formatPath(path), message });
  }

  warn(path: FieldPath, message: string): void {
    this.warnings.push({ path: formatPath(path), message });
  }
}

/** `"x"` with JSON escaping, so that control characters in table data never reach a terminal raw. */
export function quote(value: string): string {
  return JSON.stringify(value);
}
