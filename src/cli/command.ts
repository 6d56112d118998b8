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
}

export interface Command {
  /** The word after `gatehouse`. */
  readonly name: string;
  /** One line for `gatehouse --help`. */
  readonly summary: string;
  /** The synopsis, starting with `gatehouse NAME`; more lines may follow (options, examples). */
  readonly usage: string;
  /** Returns the exit code. May throw `CliUsageError` (exit 2) or `CliInputError` (exit 1). */
  run(args: string[], io: CommandIO): Promise<number>;
}

/** Wrong arguments: the command's usage is printed and the exit code is 2. */
export class CliUsageError extends Error {
  override readonly name = "UsageError";
}

/** Input that cannot be used (unreadable file, syntax error, invalid table): each line to stderr, exit 1. */
export class CliInputError extends Error {
  override readonly name = "InputError";
  constructor(readonly lines: readonly string[]) {
    super(lines.join("\n"));
  }
}

export const processIO: CommandIO = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};
