/**
 * The shape of a `gatehouse` command and what every command shares: its input/output, exit codes and
 * the two errors that end a command early. A command is one file under `commands/` exporting a
 * `Command`, listed once in `commands/index.ts`.
 */

/** 0 ok, 1 invalid input (a table with problems, an unreadable file, a refused push), 2 usage. */
export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;

export interface CommandIO {
  /** Results: what scripts read. */
  stdout(text: string): void;
  /** Problems, warnings and diagnostics. */
  stderr(text: string): void;
  /** Where `-` reads from (batch input); process stdin when absent. */
  stdin?: NodeJS.ReadableStream;
  /** A person is watching stderr (a terminal): progress worth showing there, not in a CI log. */
  interactive?: boolean;
}

export interface Command {
  /** The word after `gatehouse`. */
  readonly name: string;
  /** One line for `gatehouse --help`. */
  readonly summary: string;
  /** The synopsis, starting with `gatehouse NAME`; printed with every usage error. */
  readonly usage: string;
  /** What `--help` adds after the synopsis: what the command does, each flag described, the output. */
  readonly help?: string;
  /** Returns the exit code. May throw `CliUsageError` (exit 2) or `CliInputError` (exit 1). */
  run(args: string[], io: CommandIO): Promise<number>;
}

/** Wrong arguments: the command's usage is printed and the exit code is 2. */
export class CliUsageError extends Error {
  override readonly name = "UsageError";
}

/** For `--json`: the problems behind a `CliInputError`, as fields and reasons (and positions). */
export interface InputProblems {
  problems: readonly { path: string; message: string; line?: number; column?: number }[];
  warnings: readonly { path: string; message: string }[];
}

/** Input that cannot be used (unreadable file, syntax error, invalid table): each line to stderr, exit 1. */
export class CliInputError extends Error {
  override readonly name = "InputError";
  constructor(
    readonly lines: readonly string[],
    readonly details?: InputProblems,
  ) {
    super(lines.join("\n"));
  }
}

/**
 * An operation that was refused or failed (nothing published yet, unknown version, KV unreachable):
 * `gatehouse NAME: message` on stderr, exit 1.
 */
export class CliOperationError extends Error {
  override readonly name = "OperationError";
}

/**
 * Progress for a step that can take more than a second (a large table, a round trip through
 * wrangler): one line on stderr before it starts, so a silent terminal is never a mystery. Never on
 * stdout, which stays the result.
 */
export function progress(io: CommandIO, command: string, text: string): void {
  io.stderr(`gatehouse ${command}: ${text}\n`);
}

export const processIO: CommandIO = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  interactive: process.stderr.isTTY === true,
};
