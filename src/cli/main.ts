/**
 * `gatehouse`: the command line. Dispatches to the commands in `commands/`, prints usage, and turns
 * errors into exit codes: 0 ok, 1 invalid input, 2 usage. Results go to stdout, problems to stderr.
 */
import { readFileSync } from "node:fs";
import { closest } from "../config/zod-problems.ts";
import {
  CliInputError,
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
    io.stdout(topic ? `usage: ${topic.usage}\n` : overview());
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
    io.stdout(`usage: ${command.usage}\n`);
    return EXIT_OK;
  }
  return runCommand(command, args, io);
}

async function runCommand(command: Command, args: string[], io: CommandIO): Promise<number> {
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof CliInputError) {
      for (const line of error.lines) io.stderr(`${line}\n`);
      return EXIT_INVALID;
    }
    // By name, so that a command's own UsageError class counts too.
    if (error instanceof Error && error.name === "UsageError") {
      io.stderr(`gatehouse ${command.name}: ${error.message}\nusage: ${command.usage}\n`);
      return EXIT_USAGE;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr(`gatehouse ${command.name}: unexpected error (please report it)\n${detail}\n`);
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
    'Run "gatehouse <command> --help" for a command\'s usage.',
    "Exit codes: 0 ok, 1 invalid input, 2 usage.",
    "",
  ].join("\n");
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return `gatehouse ${pkg.version}`;
}
