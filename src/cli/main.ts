/**
 * `gatehouse`: the command line. Dispatches to the commands in `commands/`, prints usage, and turns
 * errors into exit codes: 0 ok, 1 invalid input, 2 usage. Results go to stdout, problems to stderr.
 */
import { readFileSync } from "node:fs";
import { closest } from "../config/suggest.ts";
import {
  CliInputError,
  CliOperationError,
  type Command,
  type CommandIO,
  EXIT_INVALID,
  EXIT_OK,
  EXIT_USAGE,
  processIO,
} from "./command.ts";
import { COMMANDS } from "./commands/index.ts";

export async function main(argv: string[], io: CommandIO = processIO): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    io.stderr(overview());
    return EXIT_USAGE;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    const topic = args[0] === undefined ? undefined : COMMANDS.find((c) => c.name === args[0]);
    io.stdout(topic ? fullHelp(topic) : overview());
    return EXIT_OK;
  }
  if (name === "--version" || name === "-V") {
    io.stdout(`${version()}\n`);
    return EXIT_OK;
  }

  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const suggestion = closest(
      name,
      COMMANDS.map((c) => c.name),
    );
    io.stderr(
      `gatehouse: unknown command ${JSON.stringify(name)}${suggestion ? ` (did you mean "${suggestion}"?)` : ""}\n`,
    );
    io.stderr('run "gatehouse --help" for the list of commands\n');
    return EXIT_USAGE;
  }
  if (args.includes("--help") || args.includes("-h")) {
    io.stdout(fullHelp(command));
    return EXIT_OK;
  }
  return runCommand(command, args, io);
}

function fullHelp(command: Command): string {
  return command.help
    ? `usage: ${command.usage}\n\n${command.help.trimEnd()}\n`
    : `usage: ${command.usage}\n`;
}

/**
 * With `--json`, stdout holds one JSON document whatever happens, so a script never parses prose: a
 * failure is `{"error": {"kind", "message", ...}}` there, and the usual lines still go to stderr.
 */
async function runCommand(command: Command, args: string[], io: CommandIO): Promise<number> {
  const json = args.includes("--json");
  const fail = (kind: string, message: string, extra: object = {}) => {
    if (json) io.stdout(`${JSON.stringify({ error: { kind, message, ...extra } })}\n`);
  };
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof CliInputError) {
      for (const line of error.lines) io.stderr(`${line}\n`);
      fail("invalid", error.lines[0] ?? "invalid input", error.details ?? {});
      return EXIT_INVALID;
    }
    if (error instanceof CliOperationError) {
      io.stderr(`gatehouse ${command.name}: ${error.message}\n`);
      fail("failed", error.message);
      return EXIT_INVALID;
    }
    // By name, so that a command's own UsageError class counts too.
    if (error instanceof Error && error.name === "UsageError") {
      io.stderr(`gatehouse ${command.name}: ${error.message}\nusage: ${command.usage}\n`);
      fail("usage", error.message);
      return EXIT_USAGE;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr(`gatehouse ${command.name}: unexpected error (please report it)\n${detail}\n`);
    fail("internal", error instanceof Error ? error.message : String(error));
    return EXIT_INVALID;
  }
}

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "usage: gatehouse <command> [arguments]",
    "",
    "commands:",
    ...lines,
    "",
    'Run "gatehouse <command> --help" for a command\'s flags and output. Every command takes --json.',
    "Exit codes: 0 ok, 1 invalid input or a refused or failed operation, 2 usage.",
    "",
  ].join("\n");
}

/** The nearest package.json above this module: `../../` from the sources, `../` from the build in dist/. */
function version(): string {
  for (const up of ["../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "gatehouse" && pkg.version) return `gatehouse ${pkg.version}`;
    } catch {
      // not there: one level further up
    }
  }
  return "gatehouse (unknown version)";
}
