/**
 * What the Worker checks of a version record read from KV before compiling its table, without zod
 * (docs/kv-layout.md, "Trust boundary"):
 *
 * 1. the envelope (`parseVersionRecord`), that the record is the one its key names, and that its id is
 *    the one its number and hash make (`versionId`): an id that disagrees with its own record would
 *    never equal the id of the table served, so the record would be re-read and recompiled forever;
 * 2. the content hash: the table is byte for byte the one its writer hashed (not truncated, damaged or
 *    edited afterwards);
 * 3. its shape against the normalised schema (`table-shape.ts`): a table this Worker understands;
 * 4. the references between its parts (every cluster and provider a rule names exists), with the same
 *    check and messages as `gatehouse validate` (`config/references.ts`);
 * 5. the percent-encodings of Exact and PathPrefix values (`config/path-values.ts`): an encoded `/` or
 *    a stray `%` would make the matcher compare against a path no request can have;
 * 6. every regular expression it would run per request is valid RE2 within the program-size cap
 *    (`routing/regex.ts`): the one meaning check whose failure would not just misroute but make each
 *    match costlier than the gateway's bound, so a record written by hand cannot slip one past the CLI.
 *
 * The rest of validation (hostnames, header lists, shadowed rules…) is the CLI's: every table it writes
 * has passed it, and the hash proves the table is the one it wrote. `rollback` and `diff` apply these
 * checks too, and full validation on top.
 */
import { pathEncodingProblem } from "../config/path-values.ts";
import { formatProblem, ProblemReport } from "../config/problems.ts";
import { checkNamesAndReferences } from "../config/references.ts";
import type { RouteTable } from "../config/schema.ts";
import { viewOfTable } from "../config/table-view.ts";
import { regexProblem } from "../routing/regex.ts";
import { parseVersionRecord, tableHash, type VersionInfo, versionId, versionKey } from "./kv-layout.ts";
import { tableShapeProblem } from "./table-shape.ts";

/**
 * Why a stored record cannot be served, as a stable code (the status surface and the 503 answer carry
 * it; docs/kv-layout.md lists them):
 * - `record_invalid`: not JSON, an unknown format, or a malformed envelope;
 * - `id_mismatch`: the record is not the one its key names, or its id is not `versionId(version, hash)`;
 * - `hash_mismatch`: its table is not the one its hash was computed from;
 * - `check_failed`: its table fails the shape, reference, path-value or regex checks.
 */
export type RecordProblemCode = "record_invalid" | "id_mismatch" | "hash_mismatch" | "check_failed";

export type RecordCheck =
  | { ok: true; info: VersionInfo; table: RouteTable }
  | { ok: false; code: RecordProblemCode; reason: string };

/** Every check the Worker makes of the record stored under `versionKey(id)`, cheapest first. */
export async function checkVersionRecord(id: string, text: string): Promise<RecordCheck> {
  const record = parseVersionRecord(text);
  if (!record.ok) return { ok: false, code: "record_invalid", reason: record.reason };
  const { table: raw, ...info } = record.value;
  if (info.id !== id) {
    return {
      ok: false,
      code: "id_mismatch",
      reason: `the record at ${versionKey(id)} says it is ${info.id}`,
    };
  }
  const expectedId = versionId(info.version, info.hash);
  if (info.id !== expectedId) {
    return {
      ok: false,
      code: "id_mismatch",
      reason: `its id ${info.id} is not the one its version and hash make (${expectedId})`,
    };
  }
  if ((await tableHash(raw)) !== info.hash) {
    return {
      ok: false,
      code: "hash_mismatch",
      reason: "its table does not match its hash (damaged, or edited by hand)",
    };
  }
  const checked = checkStoredTable(raw);
  if (!checked.ok) {
    const shown = checked.problems.slice(0, 5);
    const more = checked.problems.length > 5 ? ` (+${checked.problems.length - 5} more)` : "";
    return {
      ok: false,
      code: "check_failed",
      reason: `it is not a table this Worker can serve: ${shown.join("; ")}${more}`,
    };
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
  checkRegexes(table, report);
  checkPathValueEncodings(table, report);
  if (report.errors.length > 0) return { ok: false, problems: report.errors.map(formatProblem) };
  return { ok: true, table };
}

/** The regexes `config/rule-checks.ts` checks for `validate`, at the same paths and in the same words. */
function checkRegexes(table: RouteTable, report: ProblemReport): void {
  table.routes.forEach((route, r) => {
    route.rules.forEach((rule, u) => {
      rule.matches?.forEach((match, m) => {
        const at = ["routes", r, "rules", u, "matches", m];
        const check = (pattern: string, field: (string | number)[]) => {
          const problem = regexProblem(pattern);
          if (problem) report.error([...at, ...field], problem);
        };
        if (match.path?.type === "RegularExpression") check(match.path.value, ["path", "value"]);
        match.headers?.forEach((header, i) => {
          if (header.type === "RegularExpression") check(header.value, ["headers", i, "value"]);
        });
        match.queryParams?.forEach((param, i) => {
          if (param.type === "RegularExpression") check(param.value, ["queryParams", i, "value"]);
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
