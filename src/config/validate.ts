/**
 * Route table validation: shapes (the zod schema), then references and meaning, every problem at once.
 * The CLI's (push, rollback, validate); it uses no Node or Workers globals, never throws, and never
 * evaluates anything from the table: every string in it is data. The Worker does not bundle it (zod):
 * it checks the tables it loads with `src/store/table-check.ts` (docs/kv-layout.md, "Trust boundary").
 *
 * Problems are errors (the table is refused); warnings leave it valid (a rule that can never win, a rule
 * that answers 500 by construction).
 */
import { checkClusters } from "./cluster-checks.ts";
import { checkUnsentHostnames } from "./host-checks.ts";
import { checkTrafficPolicy } from "./policy-checks.ts";
import { type Problem, ProblemReport } from "./problems.ts";
import { checkProtectedBackends } from "./protection-checks.ts";
import { checkProviders } from "./provider-checks.ts";
import { checkNamesAndReferences } from "./references.ts";
import { checkRoutes } from "./rule-checks.ts";
import { salvageView } from "./salvage.ts";
import { type RouteTable, RouteTableSchema } from "./schema.ts";
import { checkShadowedRules } from "./shadowing.ts";
import { type TableView, viewOfTable } from "./table-view.ts";
import { issuesToProblems, readableMessage } from "./zod-problems.ts";

export { formatProblem, type Problem } from "./problems.ts";

export type ValidationResult =
  | { ok: true; table: RouteTable; warnings: Problem[] }
  | { ok: false; problems: Problem[]; warnings: Problem[] };

/** Every check beyond shapes, in table order. Each only looks at the parts that are well-shaped. */
const CHECKS: readonly ((view: TableView, report: ProblemReport) => void)[] = [
  checkProviders,
  checkClusters,
  checkNamesAndReferences,
  checkRoutes,
  checkTrafficPolicy,
  checkShadowedRules,
  checkProtectedBackends,
  checkUnsentHostnames,
];

/** Shapes, references and meaning, every problem at once. Never throws. */
export function validateRouteTable(input: unknown): ValidationResult {
  const parsed = RouteTableSchema.safeParse(input, { error: readableMessage, reportInput: true });
  const shapeProblems = parsed.success ? [] : issuesToProblems(parsed.error.issues, RouteTableSchema, input);
  const view = parsed.success ? viewOfTable(parsed.data) : salvageView(input);

  const report = new ProblemReport();
  for (const check of CHECKS) check(view, report);

  const problems = [...shapeProblems, ...report.errors];
  if (parsed.success && problems.length === 0)
    return { ok: true, table: parsed.data, warnings: report.warnings };
  return { ok: false, problems, warnings: report.warnings };
}
