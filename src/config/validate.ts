// STUB: replaced by full validation (issue 2).
import { type RouteTable, RouteTableSchema } from "./schema.ts";

export interface Problem {
  /** `routes[2].rules[0].backendRefs[0].name` */
  path: string;
  message: string;
}

export type ValidationResult =
  | { ok: true; table: RouteTable; warnings: Problem[] }
  | { ok: false; problems: Problem[]; warnings: Problem[] };

export function formatProblem(problem: Problem): string {
  return problem.path ? `${problem.path}: ${problem.message}` : problem.message;
}

/** Shapes, references and meaning, every problem at once. Never throws. */
export function validateRouteTable(input: unknown): ValidationResult {
  const parsed = RouteTableSchema.safeParse(input);
  if (parsed.success) return { ok: true, table: parsed.data, warnings: [] };
  return {
    ok: false,
    problems: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    warnings: [],
  };
}
