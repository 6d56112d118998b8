/**
 * Reading a route table file for a command: read, parse (YAML or JSON), validate. Node only, which is
 * why it lives here and not in `src/config` (that runs in the worker too).
 */
import { readFile } from "node:fs/promises";
import { parseRouteTableText } from "../config/parse.ts";
import type { RouteTable } from "../config/schema.ts";
import { formatProblem, type Problem, validateRouteTable } from "../config/validate.ts";
import { CliInputError } from "./command.ts";

export interface LoadedRouteTable {
  readonly path: string;
  /** The file as written (for hashing or diffing the source). */
  readonly text: string;
  /** Validated and normalised: zod defaults filled in. */
  readonly table: RouteTable;
  readonly warnings: Problem[];
}

/**
 * Read, parse and validate `path`. Throws `CliInputError` (exit 1) naming the file when it cannot be
 * read or parsed, and listing every problem (`path.to.field: reason`, one a line) when it is invalid.
 * Warnings are returned, for the command to print with `printWarnings`.
 */
export async function loadRouteTableFile(path: string): Promise<LoadedRouteTable> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : (code ?? String(error));
    throw new CliInputError([`${path}: cannot read (${reason})`]);
  }
  let data: unknown;
  try {
    data = parseRouteTableText(text);
  } catch (error) {
    throw new CliInputError([`${path}: ${(error as Error).message}`]);
  }
  const result = validateRouteTable(data);
  if (!result.ok) {
    throw new CliInputError([...result.problems.map(formatProblem), ...result.warnings.map(formatWarning)]);
  }
  return { path, text, table: result.table, warnings: result.warnings };
}

export function formatWarning(warning: Problem): string {
  return `warning: ${formatProblem(warning)}`;
}

export function printWarnings(stderr: (text: string) => void, warnings: readonly Problem[]): void {
  for (const warning of warnings) stderr(`${formatWarning(warning)}\n`);
}
