/**
 * Which `ROUTES` namespace a store command talks to, from the flags every one of them shares:
 *
 *   --local             (default, as wrangler v4) the local state `wrangler dev` reads
 *   --remote            the real namespace, through wrangler (its login, its account)
 *   --env NAME, -e      a wrangler environment
 *   --persist-to DIR    with --local: the directory `wrangler dev --persist-to DIR` uses
 *   --config PATH, -c   the wrangler config file (default: wrangler's own search)
 *   --namespace-id ID   the namespace itself, for a repository with no wrangler config (route tables only)
 *   --account-id ID     with --remote: the account, when the login can see more than one
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
  /** The namespace by id instead of through a wrangler config's ROUTES binding. */
  namespaceId?: string;
  /** With `remote`: the Cloudflare account (wrangler's CLOUDFLARE_ACCOUNT_ID). */
  accountId?: string;
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
  "namespace-id": { type: "string" },
  "account-id": { type: "string" },
} as const;

/** KV could not be opened, read or written (wrangler failed, no ROUTES binding in the config…). */
export class KvAccessError extends Error {
  override readonly name = "KvAccessError";
}

export const KV_TARGET_USAGE =
  "[--local | --remote] [--env NAME | --namespace-id ID] [--account-id ID] [--persist-to DIR] [--config wrangler.toml]";

/** The shared flags, described, for every store command's `--help`. */
export const KV_TARGET_HELP = `Where the ROUTES namespace is (the same for push, diff, versions and rollback):
  --local                 local state, as \`wrangler dev\` reads it (the default)
  --remote                the namespace in your Cloudflare account, through wrangler and its login
  -e, --env NAME          the ROUTES binding of wrangler environment NAME
  -c, --config PATH       the wrangler config file (default: wrangler.toml/.json/.jsonc here or above)
  --namespace-id ID       the namespace by id, with no wrangler config needed (a route-table repository)
  --account-id ID         with --remote: the account to use (as CLOUDFLARE_ACCOUNT_ID)
  --persist-to DIR        with --local: the directory given to \`wrangler dev --persist-to\``;

export function kvTargetFromFlags(values: {
  local?: boolean;
  remote?: boolean;
  env?: string;
  "persist-to"?: string;
  config?: string;
  "namespace-id"?: string;
  "account-id"?: string;
}): KvTarget {
  if (values.local && values.remote) throw new CliUsageError("--local and --remote cannot be used together");
  if (values.remote && values["persist-to"] !== undefined) {
    throw new CliUsageError("--persist-to only applies to local state (drop --remote)");
  }
  const namespaceId = values["namespace-id"];
  if (namespaceId !== undefined) {
    if (!/^[\w-]{1,64}$/.test(namespaceId)) {
      throw new CliUsageError(`--namespace-id ${JSON.stringify(namespaceId)}: not a namespace id`);
    }
    // The id names the namespace outright: a binding of some config would be a second answer.
    if (values.env !== undefined) throw new CliUsageError("--namespace-id and --env cannot be used together");
    if (values.config !== undefined)
      throw new CliUsageError("--namespace-id and --config cannot be used together");
  }
  const accountId = values["account-id"];
  if (accountId !== undefined && !values.remote) {
    throw new CliUsageError("--account-id only applies to --remote");
  }
  return {
    remote: values.remote === true,
    ...(values.env ? { env: values.env } : {}),
    ...(values["persist-to"] ? { persistTo: values["persist-to"] } : {}),
    ...(values.config ? { config: values.config } : {}),
    ...(namespaceId ? { namespaceId } : {}),
    ...(accountId ? { accountId } : {}),
  };
}

/**
 * The message for a command that needs the ROUTES namespace and has no way to find it: no
 * `--namespace-id` and no wrangler config in reach.
 */
export function noConfigMessage(cwd: string = process.cwd()): string {
  return (
    `no wrangler config (wrangler.toml, wrangler.json or wrangler.jsonc) in ${cwd} or above, so no ROUTES binding to publish to: ` +
    "give the namespace with --namespace-id ID (and --account-id ID with --remote, if your login sees " +
    "more than one account), or point at the Worker's config with --config PATH"
  );
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
