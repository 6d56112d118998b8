/**
 * Reading a route table file for a command: read, parse (YAML or JSON), validate. Node only, which is
 * why it lives here and not in `src/config` (that runs in the worker too).
 */
import { readFile } from "node:fs/promises";
import { isMap, isScalar, LineCounter, parseDocument } from "yaml";
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

/** A problem as `--json` reports it: the field, and for problems with the file as a whole, where. */
export interface LocatedProblem extends Problem {
  line?: number;
  column?: number;
}

/** Beyond this many routes, validating takes about a second or more: say what is going on. */
export const LARGE_TABLE_ROUTES = 2000;

export interface LoadOptions {
  /** Progress for a slow step, on stderr (the command decides); called before the step starts. */
  progress?: (text: string) => void;
}

/**
 * Read, parse and validate `path`. Throws `CliInputError` (exit 1) naming the file when it cannot be
 * read or parsed, and listing every problem (`path.to.field: reason`, one a line) when it is invalid.
 * Warnings are returned, for the command to print with `printWarnings`.
 */
export async function loadRouteTableFile(path: string, options: LoadOptions = {}): Promise<LoadedRouteTable> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : (code ?? String(error));
    throw fileProblem(path, `cannot read (${reason})`);
  }
  if (looksBinary(bytes)) {
    throw fileProblem(path, "is a binary file, not a route table (YAML or JSON text)");
  }
  const text = bytes.toString("utf8");
  let data: unknown;
  try {
    data = parseRouteTableText(text);
  } catch (error) {
    throw fileProblem(path, (error as Error).message);
  }
  const routes = (data as { routes?: unknown } | null)?.routes;
  if (Array.isArray(routes) && routes.length >= LARGE_TABLE_ROUTES) {
    options.progress?.(`validating ${routes.length} routes in ${path}…`);
  }
  const result = validateRouteTable(data);
  if (!result.ok) {
    const problems = locateTopLevel(text, result.problems);
    throw new CliInputError(
      [...problems.map((p) => formatLocated(path, p)), ...result.warnings.map(formatWarning)],
      { problems, warnings: result.warnings },
    );
  }
  return { path, text, table: result.table, warnings: result.warnings };
}

function fileProblem(path: string, message: string): CliInputError {
  const located = /^line (\d+), column (\d+): (.*)$/s.exec(message);
  const problem: LocatedProblem = located
    ? { path: "", message: located[3]!, line: Number(located[1]), column: Number(located[2]) }
    : { path: "", message };
  return new CliInputError([`${path}: ${message}`], { problems: [problem], warnings: [] });
}

/**
 * A NUL byte, or text that is not UTF-8, in the first 8 KiB: an image, an archive, a compiled file.
 * YAML would otherwise report some odd character as the first problem.
 */
function looksBinary(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 8192);
  if (head.includes(0)) return true;
  try {
    // A multi-byte character cut at the 8 KiB mark is not a reason to call the file binary.
    new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
      head.length < bytes.length ? head.subarray(0, -4) : head,
    );
    return false;
  } catch {
    return true;
  }
}

/**
 * Problems with the table as a whole (it is not a mapping, it has an unknown top-level field) have no
 * field path to point at: they get the line and column in the file instead.
 */
function locateTopLevel(text: string, problems: readonly Problem[]): LocatedProblem[] {
  if (problems.every((p) => p.path !== "")) return [...problems];
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter });
  const at = (offset: number | undefined) => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return { line, column: col };
  };
  return problems.map((problem) => {
    if (problem.path !== "") return problem;
    const unknown = /^unknown field "([^"]+)"/.exec(problem.message)?.[1];
    const contents = document.contents;
    if (unknown !== undefined && isMap(contents)) {
      const pair = contents.items.find((item) => isScalar(item.key) && item.key.value === unknown);
      if (pair && isScalar(pair.key)) return { ...problem, ...at(pair.key.range?.[0]) };
    }
    return { ...problem, ...at(contents?.range?.[0]) };
  });
}

function formatLocated(path: string, problem: LocatedProblem): string {
  if (problem.line === undefined) return formatProblem(problem);
  return `${path}: line ${problem.line}, column ${problem.column}: ${formatProblem(problem)}`;
}

export function formatWarning(warning: Problem): string {
  return `warning: ${formatProblem(warning)}`;
}

export function printWarnings(stderr: (text: string) => void, warnings: readonly Problem[]): void {
  for (const warning of warnings) stderr(`${formatWarning(warning)}\n`);
}
