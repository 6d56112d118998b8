/**
 * Which `ROUTES` namespace a store command talks to, from the flags every one of them shares:
 *
 *   --local             (default, as wrangler v4) the local state `wrangler dev` reads
 *   --remote            the real namespace, through wrangler (its login, its account)
 *   --env NAME, -e      a wrangler environment
 *   --persist-to DIR    with --local: the directory `wrangler dev --persist-to DIR` uses
 *   --config PATH, -c   the wrangler config file (default: wrangler's own search)
 */
import { execFileSync } from "node:child_process";
import { userInfo } from "node:os";
import type { KvStore } from "../store/kv-store.ts";
import { CliUsageError } from "./command.ts";

/** The worker reads its tables from this binding; the CLI always publishes to it. */
export const ROUTES_BINDING = "ROUTES";

export interface KvTarget {
  remote: boolean;
  env?: string;
  persistTo?: string;
  config?: string;
}

export interface OpenedKv {
  store: KvStore;
  /** For messages: "local state in /repo/.wrangler/state (namespace "ROUTES")". */
  description: string;
  close(): Promise<void>;
}

/** `parseArgs` option declarations for the shared flags. */
export const KV_TARGET_OPTIONS = {
  local: { type: "boolean" },
  remote: { type: "boolean" },
  env: { type: "string", short: "e" },
  "persist-to": { type: "string" },
  config: { type: "string", short: "c" },
} as const;

/** KV could not be opened, read or written (wrangler failed, no ROUTES binding in the config…). */
export class KvAccessError extends Error {
  override readonly name = "KvAccessError";
}

export const KV_TARGET_USAGE =
  "[--local | --remote] [--env NAME] [--persist-to DIR] [--config wrangler.toml]";

export function kvTargetFromFlags(values: {
  local?: boolean;
  remote?: boolean;
  env?: string;
  "persist-to"?: string;
  config?: string;
}): KvTarget {
  if (values.local && values.remote) throw new CliUsageError("--local and --remote cannot be used together");
  if (values.remote && values["persist-to"] !== undefined) {
    throw new CliUsageError("--persist-to only applies to local state (drop --remote)");
  }
  return {
    remote: values.remote === true,
    ...(values.env ? { env: values.env } : {}),
    ...(values["persist-to"] ? { persistTo: values["persist-to"] } : {}),
    ...(values.config ? { config: values.config } : {}),
  };
}

export async function openKvTarget(target: KvTarget): Promise<OpenedKv> {
  try {
    if (target.remote) {
      const { openWranglerKv } = await import("./kv-remote.ts");
      return await openWranglerKv(target);
    }
    const { openLocalKv } = await import("./kv-local.ts");
    return await openLocalKv(target);
  } catch (err) {
    if (err instanceof KvAccessError) throw err;
    const where = target.remote ? "the remote ROUTES namespace" : "the local ROUTES namespace";
    throw new KvAccessError(`cannot open ${where}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Who is publishing, for the record: the git identity if there is one, else the login name. Only ever
 * displayed; nothing trusts it.
 */
export function publisherIdentity(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.GATEHOUSE_PUBLISHER) return env.GATEHOUSE_PUBLISHER;
  const git = (key: string) => {
    try {
      return execFileSync("git", ["config", "--get", key], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }).trim();
    } catch {
      return "";
    }
  };
  const name = git("user.name");
  const email = git("user.email");
  if (name && email) return `${name} <${email}>`;
  if (name || email) return name || email;
  try {
    return env.USER || env.USERNAME || userInfo().username || undefined;
  } catch {
    return undefined;
  }
}
