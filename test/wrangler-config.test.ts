/**
 * wrangler.toml as `wrangler deploy` reads it: the top level is the production configuration, so a
 * plain deploy ships nothing meant for development (no workers.dev or preview address, no local admin
 * host), and the ROUTES binding is there for the worker and the CLI.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";

const config = unstable_readConfig(
  { config: join(import.meta.dirname, "..", "wrangler.toml") },
  { hideWarnings: true },
);

describe("wrangler.toml", () => {
  it("is production-safe at the top level: what a plain `wrangler deploy` ships", () => {
    expect(config.workers_dev).toBe(false);
    expect(config.preview_urls).toBe(false);
    const vars = config.vars as Record<string, string>;
    expect(vars.ADMIN_HOSTNAME).not.toMatch(/localhost$/);
    expect(config.kv_namespaces.map((ns: { binding: string }) => ns.binding)).toEqual(["ROUTES"]);
  });
});
