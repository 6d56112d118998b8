/**
 * What `push`, `versions`, `rollback` and `diff` share on top of the command framework
 * (../command.ts): the KV target flags, opening and always closing the namespace, and turning the
 * refusals an operator can act on (nothing published, unknown version, wrangler failed…) into a
 * one-line message and exit 1 rather than a stack trace.
 */
import type { ParseArgsConfig } from "node:util";
import { StoreError } from "../store/publish.ts";
import { parseCommandLine } from "./args.ts";
import { CliOperationError, type CommandIO, progress } from "./command.ts";
import {
  KV_TARGET_OPTIONS,
  KvAccessError,
  type KvTarget,
  kvTargetFromFlags,
  type OpenedKv,
  openKvTarget,
} from "./kv-target.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface StoreCommandArgs {
  positionals: string[];
  values: Record<string, unknown>;
  target: KvTarget;
}

/** The command's own flags plus the KV target flags; unknown flags are usage errors (exit 2). */
export function parseStoreArgs(args: string[], own: Options = {}): StoreCommandArgs {
  const { positionals, values } = parseCommandLine(args, { ...KV_TARGET_OPTIONS, ...own });
  return {
    positionals,
    values,
    target: kvTargetFromFlags(values as Parameters<typeof kvTargetFromFlags>[0]),
  };
}

export function line(write: (text: string) => void, text = ""): void {
  write(`${text}\n`);
}

/**
 * Run `body` with a way to open the KV target (lazily: a table that fails validation never opens
 * it), close whatever was opened, and turn StoreError / KvAccessError into `CliOperationError`
 * (`gatehouse NAME: message`, exit 1). Anything else is a bug and goes to the framework's
 * "unexpected error" path.
 */
export async function withKv(
  name: string,
  io: CommandIO,
  body: (open: (target: KvTarget) => Promise<OpenedKv>) => Promise<number>,
): Promise<number> {
  const opened: OpenedKv[] = [];
  try {
    return await body(async (target) => {
      if (target.remote) {
        // Every key is a wrangler run and a round trip to the API: seconds, not milliseconds.
        progress(io, name, "working on the remote namespace through wrangler (a few seconds)…");
      } else if (io.interactive) {
        // Local state means starting workerd: about a second, worth a line in a terminal only.
        progress(io, name, "opening the local state…");
      }
      const kv = await openKvTarget(target);
      opened.push(kv);
      return kv;
    });
  } catch (err) {
    if (err instanceof StoreError || err instanceof KvAccessError) throw new CliOperationError(err.message);
    throw err;
  } finally {
    for (const kv of opened) await kv.close();
  }
}

/** `2026-11-25 10:55:00Z` from an ISO time; anything else as given. */
export function shortTime(iso: string | undefined): string {
  if (!iso) return "-";
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]}Z` : iso;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
