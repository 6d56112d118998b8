/**
 * How the translator speaks: every finding is an `ImportProblem` pinned to one object and one field of
 * it, collected in one `ImportReport` so a run reports everything at once, in object order.
 */
import { type FieldPath, formatPath } from "../config/problems.ts";
import { describeRef, type ObjectRef } from "./objects.ts";
import type { ImportProblem } from "./translate.ts";

export class ImportReport {
  readonly problems: ImportProblem[] = [];

  /** Something that cannot be honoured: the table does not do what the object says. */
  error(object: ObjectRef, field: FieldPath, reason: string): void {
    this.problems.push({ object, field: formatPath(field), reason, severity: "error" });
  }

  /** Honoured, with a difference worth knowing. */
  warn(object: ObjectRef, field: FieldPath, reason: string): void {
    this.problems.push({ object, field: formatPath(field), reason, severity: "warning" });
  }
}

/** `HTTPRoute default/orders: spec.rules[0].filters[1]: reason`, `warning: ` in front of warnings. */
export function formatImportProblem(problem: ImportProblem): string {
  const where = problem.field
    ? `${describeRef(problem.object)}: ${problem.field}`
    : describeRef(problem.object);
  return `${problem.severity === "warning" ? "warning: " : ""}${where}: ${problem.reason}`;
}

/** The keys of `value` that are not in `known`, for "unknown field" problems. */
export function unknownKeys(value: unknown, known: readonly string[]): string[] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return [];
  return Object.keys(value).filter((key) => !known.includes(key));
}

/** Reports each key of `value` not in `known` as an error: a field that is not honoured. */
export function reportUnknownFields(
  report: ImportReport,
  object: ObjectRef,
  path: FieldPath,
  value: unknown,
  known: readonly string[],
): void {
  for (const key of unknownKeys(value, known)) {
    report.error(object, [...path, key], "not supported by Gatehouse: ignored");
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** `value` when it is an array, else `[]` (a missing or malformed list reads as empty). */
export function list<T>(value: readonly T[] | undefined | unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}
