/**
 * What the Worker checks of a version record read from KV before compiling its table, without zod
 * (docs/kv-layout.md, "Trust boundary"):
 *
 * 1. the envelope (`parseVersionRecord`) and that the record is the one its key names;
 * 2. the content hash: the table is byte for byte the one its writer hashed (not truncated, damaged or
 *    edited afterwards);
 * 3. its shape against the normalised schema (`table-shape.ts`): a table this Worker understands;
 * 4. the references between its parts (every cluster and provider a rule names exists), with the same
 *    check and messages as `gatehouse validate` (`config/references.ts`);
 * 5. the percent-encodings of Exact and PathPrefix values (`config/path-values.ts`): an encoded `/` or
 *    a stray `%` would make the matcher compare against a path no request can have;
 * 6. the safety of every regular expression it would run per request (`config/regex-safety.ts`): the
 *    one meaning check whose failure would not just misroute but stall the isolate, so a record written
 *    by hand cannot slip a catastrophic pattern past the CLI.
 *
 * The rest of validation (hostnames, header lists, shadowed rules…) is the CLI's: every table it writes
 * has passed it, and the hash proves the table is the one it wrote. `rollback` and `diff` apply these
 * checks too, and full validation on top.
 */
import { pathEncodingProblem } from "../config/path-values.ts";
import { formatProblem, ProblemReport } from "../config/problems.ts";
import { checkNamesAndReferences } from "../config/references.ts";
import { type RegexContext, regexProblem } from "../config/regex-safety.ts";
import type { RouteTable } from "../config/schema.ts";
import { viewOfTable } from "../config/table-view.ts";
import { parseVersionRecord, tableHash, type VersionInfo, versionKey } from "./kv-layout.ts";
import { tableShapeProblem } from "./table-shape.ts";

export type RecordCheck = { ok: true; info: VersionInfo; table: RouteTable } | { ok: false; reason: string };

/** Every check the Worker makes of the record stored under `versionKey(id)`, cheapest first. */
export async function checkVersionRecord(id: string, text: string): Promise<RecordCheck> {
  const record = parseVersionRecord(text);
  if (!record.ok) return { ok: false, reason: record.reason };
  const { table: raw, ...info } = record.value;
  if (info.id !== id) return { ok: false, reason: `the record at ${versionKey(id)} says it is ${info.id}` };
  if ((await tableHash(raw)) !== info.hash) {
    return { ok: false, reason: "its table does not match its hash (damaged, or edited by hand)" };
  }
  const checked = checkStoredTable(raw);
  if (!checked.ok) {
    const shown = checked.problems.slice(0, 5);
    const more = checked.problems.length > 5 ? ` (+${checked.problems.length - 5} more)` : "";
    return { ok: false, reason: `it is not a table this Worker can serve: ${shown.join("; ")}${more}` };
  }
  return { ok: true, info, table: checked.table };
}

export type TableCheck = { ok: true; table: RouteTable } | { ok: false; problems: string[] };

/** Steps 3 to 5: shape, then references and regexes (only a well-shaped table can be walked safely). */
export function checkStoredTable(input: unknown): TableCheck {
  const shape = tableShapeProblem(input);
  if (shape) return { ok: false, problems: [shape] };
  const table = input as RouteTable;
  const report = new ProblemReport();
  checkNamesAndReferences(viewOfTable(table), report);
  checkRegexSafety(table, report);
  checkPathValueEncodings(table, report);
  if (report.errors.length > 0) return { ok: false, problems: report.errors.map(formatProblem) };
  return { ok: true, table };
}

const PATHS_AND_HEADERS: RegexContext = { subjectHasNoLineBreaks: true };
// Query values are percent-decoded, so unlike paths and header values they can hold line breaks.
const QUERY_VALUES: RegexContext = { subjectHasNoLineBreaks: false };

/** The regexes `config/rule-checks.ts` checks for `validate`, at the same paths and in the same words. */
function checkRegexSafety(table: RouteTable, report: ProblemReport): void {
  table.routes.forEach((route, r) => {
    route.rules.forEach((rule, u) => {
      rule.matches?.forEach((match, m) => {
        const at = ["routes", r, "rules", u, "matches", m];
        const check = (pattern: string, context: RegexContext, field: (string | number)[]) => {
          const problem = regexProblem(pattern, context);
          if (problem) report.error([...at, ...field], problem);
        };
        if (match.path?.type === "RegularExpression")
          check(match.path.value, PATHS_AND_HEADERS, ["path", "value"]);
        match.headers?.forEach((header, i) => {
          if (header.type === "RegularExpression")
            check(header.value, PATHS_AND_HEADERS, ["headers", i, "value"]);
        });
        match.queryParams?.forEach((param, i) => {
          if (param.type === "RegularExpression")
            check(param.value, QUERY_VALUES, ["queryParams", i, "value"]);
        });
      });
    });
  });
}

/** Exact and PathPrefix values, at the paths and in the words of `gatehouse validate`. */
function checkPathValueEncodings(table: RouteTable, report: ProblemReport): void {
  table.routes.forEach((route, r) => {
    route.rules.forEach((rule, u) => {
      rule.matches?.forEach((match, m) => {
        if (match.path === undefined || match.path.type === "RegularExpression") return;
        const problem = pathEncodingProblem(match.path.value);
        if (problem) report.error(["routes", r, "rules", u, "matches", m, "path", "value"], problem);
      });
    });
  });
}
