/** Argument parsing for commands: node:util's parseArgs, strict, with its errors turned into usage errors. */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { CliUsageError } from "./command.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface ParsedArgs {
  readonly positionals: string[];
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
}

/** Unknown flags, missing flag values and the like are usage errors (exit 2). */
export function parseCommandLine(args: string[], options: Options): ParsedArgs {
  try {
    const { positionals, values } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { positionals, values };
  } catch (error) {
    throw new CliUsageError(
      error instanceof Error ? error.message.replace(/\. To specify a positional.*$/s, "") : String(error),
    );
  }
}
