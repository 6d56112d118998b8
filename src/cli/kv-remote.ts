/**
 * The `ROUTES` namespace through the wrangler CLI: `wrangler kv key get|put|list|delete --binding
 * ROUTES`. This is how `--remote` reaches the real namespace with the operator's own wrangler login
 * and account selection (and `--env`), without Gatehouse ever handling an API token.
 *
 * It also runs against wrangler's local state (`local: true`), which is how the tests prove that
 * what `gatehouse push --local` writes is exactly what wrangler reads.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { KvStore } from "../store/kv-store.ts";
import { KvAccessError, type KvTarget, noConfigMessage, type OpenedKv, ROUTES_BINDING } from "./kv-target.ts";

/** wrangler's own entry point, run with this Node: no `npx` lookup, no download, the pinned version. */
function wranglerEntry(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
}

interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

const WRANGLER_TIMEOUT_MS = 120_000;

function runWrangler(args: string[], accountId: string | undefined): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [wranglerEntry(), ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        // No telemetry round-trips from a CLI that only wants a key, no fetch of a real `request.cf`
        // (it fails with a stack trace offline), and messages without colour codes.
        WRANGLER_SEND_METRICS: "false",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        FORCE_COLOR: "0",
        ...(accountId ? { CLOUDFLARE_ACCOUNT_ID: accountId } : {}),
      },
      timeout: WRANGLER_TIMEOUT_MS,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolvePromise({
        code: code ?? (signal ? 1 : 0),
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString("utf8"),
      }),
    );
  });
}

export interface WranglerKvOptions extends KvTarget {
  /** Talk to wrangler's local state instead of the account (tests, and parity checks). */
  local?: boolean;
}

export class WranglerKvStore implements KvStore {
  readonly #common: string[];
  readonly #accountId: string | undefined;

  constructor(options: WranglerKvOptions) {
    this.#accountId = options.accountId;
    this.#common = [
      ...(options.namespaceId ? ["--namespace-id", options.namespaceId] : ["--binding", ROUTES_BINDING]),
      options.local ? "--local" : "--remote",
      // The deployed namespace (its `id`, or the one the deployed Worker is bound to), never the
      // `preview_id` a binding may carry to keep an environment's local state its own.
      ...(options.local || options.namespaceId ? [] : ["--preview", "false"]),
      ...(options.local && options.persistTo ? ["--persist-to", options.persistTo] : []),
      ...(options.env ? ["--env", options.env] : []),
      ...(options.config ? ["--config", options.config] : []),
    ];
  }

  async #run(args: string[]): Promise<Run> {
    return runWrangler(["kv", "key", ...args, ...this.#common], this.#accountId);
  }

  #fail(what: string, run: Run): never {
    throw new KvAccessError(
      `wrangler kv key ${what} failed: ${wranglerFailure(run.stderr || run.stdout.toString("utf8"))}`,
    );
  }

  async get(key: string): Promise<string | null> {
    const run = await this.#run(["get", key]);
    if (run.code !== 0) {
      // The API answers a missing key with 404 "key not found" (code 10009).
      if (/key not found|10009/i.test(run.stderr)) return null;
      this.#fail(`get ${key}`, run);
    }
    const text = run.stdout.toString("utf8");
    // Local wrangler prints this (exit 0) for a missing key. Our values are JSON, so it is unambiguous.
    if (text.trim() === "Value not found") return null;
    return text;
  }

  async put(key: string, value: string, options?: { metadata?: unknown }): Promise<void> {
    // Through a file: a table can be larger than a command line may be.
    const dir = await mkdtemp(join(tmpdir(), "gatehouse-kv-"));
    try {
      const file = join(dir, "value.json");
      await writeFile(file, value, "utf8");
      const metadata =
        options?.metadata === undefined ? [] : ["--metadata", JSON.stringify(options.metadata)];
      const run = await this.#run(["put", key, "--path", file, ...metadata]);
      if (run.code !== 0) this.#fail(`put ${key}`, run);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async list(options: { prefix: string }): Promise<{ keys: { name: string; metadata?: unknown }[] }> {
    // wrangler follows the cursor itself and prints the whole listing.
    const run = await this.#run(["list", "--prefix", options.prefix]);
    if (run.code !== 0) this.#fail(`list --prefix ${options.prefix}`, run);
    const text = run.stdout.toString("utf8");
    const start = text.indexOf("[");
    let keys: unknown;
    try {
      keys = JSON.parse(start >= 0 ? text.slice(start) : text);
    } catch {
      throw new KvAccessError(
        `wrangler kv key list printed something that is not a JSON listing: ${text.slice(0, 200)}`,
      );
    }
    if (!Array.isArray(keys)) throw new KvAccessError("wrangler kv key list did not print a JSON array");
    return {
      keys: keys.flatMap((k) =>
        k && typeof k === "object" && typeof (k as { name?: unknown }).name === "string"
          ? [{ name: (k as { name: string }).name, metadata: (k as { metadata?: unknown }).metadata }]
          : [],
      ),
    };
  }

  async delete(key: string): Promise<void> {
    const run = await this.#run(["delete", key]);
    if (run.code !== 0) this.#fail(`delete ${key}`, run);
  }
}

export async function openWranglerKv(target: KvTarget): Promise<OpenedKv> {
  if (!target.namespaceId) {
    // Said in our words before wrangler is asked, which would answer with its own flags' names.
    const { unstable_readConfig } = await import("wrangler");
    const config = unstable_readConfig(target.config ? { config: target.config } : {}, {
      hideWarnings: true,
    });
    if (!config.userConfigPath) throw new KvAccessError(noConfigMessage());
  }
  return {
    store: new WranglerKvStore(target),
    description: target.namespaceId
      ? `the remote namespace ${target.namespaceId} (through wrangler)`
      : `the remote namespace bound as ${ROUTES_BINDING}${target.env ? ` in env "${target.env}"` : ""} (through wrangler)`,
    close: async () => {},
  };
}

/** Hints wrangler prints for its own commands, which mean nothing to someone running gatehouse. */
const FOREIGN_HINTS = [/rerun this command with/i, /--temporary/, /Logs were written to/i, /^\s*$/];

/**
 * Wrangler's stderr, reduced to what the operator can act on: its error lines without colour codes
 * and without advice about wrangler's own flags, and for the failures everyone meets first (not
 * logged in, Worker not deployed yet) what to do about them.
 */
export function wranglerFailure(stderr: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: colour codes are what is being removed
  const plain = stderr.replace(/\u001b\[[0-9;]*m/g, "");
  const lines = plain
    .split("\n")
    .map((l) => l.replace(/^\s*(✘\s*)?\[ERROR\]\s*/, "").trim())
    .filter((l) => !FOREIGN_HINTS.some((hint) => hint.test(l)));
  const detail = lines.slice(-4).join(" ") || "(wrangler printed nothing)";
  if (
    /CLOUDFLARE_API_TOKEN|not (?:logged|authenticated)|wrangler login|Authentication error|Invalid access token|\b10000\b/i.test(
      plain,
    )
  ) {
    return `not logged in to Cloudflare: run \`npx wrangler login\` (in CI, set CLOUDFLARE_API_TOKEN, and CLOUDFLARE_ACCOUNT_ID or --account-id). wrangler said: ${detail}`;
  }
  if (/More than one account/i.test(plain)) {
    return `your login sees more than one account: give --account-id ID (or set CLOUDFLARE_ACCOUNT_ID). wrangler said: ${detail}`;
  }
  if (/No KV namespace ID found for binding/i.test(plain)) {
    return `the ROUTES namespace has no id yet: deploy the Worker first (\`npx wrangler deploy\` provisions it), or give --namespace-id ID. wrangler said: ${detail}`;
  }
  return detail;
}
