/**
 * Finding the ROUTES namespace: by id with no wrangler config at all (a repository that holds only
 * route tables), a clear message when neither is in reach, one local namespace per wrangler
 * environment, and wrangler's failures turned into what to do.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { wranglerFailure } from "../../src/cli/kv-remote.ts";
import { tableFor } from "../store/tables.ts";
import { runGatehouse } from "./bin.ts";
import { gatehouse, type Workspace, workspace } from "./store-cli.ts";

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
});
afterEach(() => ws.remove());

describe("--namespace-id", () => {
  it("publishes to the namespace it names, with no wrangler config involved", async () => {
    const file = await ws.file("routes.yaml", tableFor("a.example.com"));
    const target = ["--namespace-id", "gatehouse-routes", "--persist-to", ws.state];
    const pushed = await gatehouse("push", file, ...target);
    expect(pushed.code, pushed.err).toBe(0);
    expect(pushed.out).toContain('(namespace "gatehouse-routes")');
    const listed = await gatehouse("versions", ...target, "--json");
    expect((JSON.parse(listed.out) as { versions: unknown[] }).versions).toHaveLength(1);
  }, 60_000);

  it.each([
    [["--namespace-id", "x", "--env", "staging"], /--namespace-id and --env cannot be used together/],
    [
      ["--namespace-id", "x", "--config", "wrangler.toml"],
      /--namespace-id and --config cannot be used together/,
    ],
    [["--namespace-id", "a b"], /--namespace-id "a b": not a namespace id/],
    [["--account-id", "abc"], /--account-id only applies to --remote/],
  ])("usage errors: %j", async (flags, reason) => {
    const run = await gatehouse("versions", ...flags);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(reason);
  });
});

describe("no wrangler config in reach", () => {
  it("says what to give instead, locally and remotely, and writes nothing", async () => {
    const file = await ws.file("routes.yaml", tableFor("a.example.com"));
    for (const where of [[], ["--remote"]]) {
      const run = await runGatehouse(["push", file, ...where], { cwd: ws.dir, timeout: 60_000 });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /^gatehouse push: no wrangler config \(wrangler\.toml, wrangler\.json or wrangler\.jsonc\) in .+ or above, so no ROUTES binding to publish to: give the namespace with --namespace-id ID/m,
      );
    }
  }, 120_000);

  it("--json: the failure is a JSON document on stdout too", async () => {
    const run = await runGatehouse(["versions", "--json"], { cwd: ws.dir, timeout: 60_000 });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      error: { kind: "failed", message: expect.stringMatching(/^no wrangler config/) },
    });
  }, 60_000);
});

describe("one local namespace per wrangler environment", () => {
  const config = (production: string) =>
    [
      'name = "x"',
      'main = "w.js"',
      'compatibility_date = "2026-11-01"',
      "[[kv_namespaces]]",
      'binding = "ROUTES"',
      "[env.production]",
      `kv_namespaces = [${production}]`,
      "",
    ].join("\n");

  it("refuses an environment whose ROUTES would share the top level's local state", async () => {
    const toml = await ws.file("wrangler.toml", config('{ binding = "ROUTES" }'));
    const file = await ws.file("routes.yaml", tableFor("a.example.com"));
    const run = await gatehouse(
      "push",
      file,
      "--config",
      toml,
      "--persist-to",
      ws.state,
      "--env",
      "production",
    );
    expect(run.code).toBe(1);
    expect(run.err).toMatch(
      /env "production" binds ROUTES with no id or preview_id, like the top level, so locally both would share one namespace; give env "production"'s binding its own preview_id/,
    );
    const top = await gatehouse("versions", "--config", toml, "--persist-to", ws.state);
    expect(top.out).toMatch(/^no versions published yet/);
  }, 60_000);

  it("with a preview_id, a push to the environment leaves the top level (the demo) alone", async () => {
    const toml = await ws.file(
      "wrangler.toml",
      config('{ binding = "ROUTES", preview_id = "production-routes" }'),
    );
    const file = await ws.file("routes.yaml", tableFor("a.example.com"));
    const target = ["--config", toml, "--persist-to", ws.state];
    const run = await gatehouse("push", file, ...target, "--env", "production");
    expect(run.code, run.err).toBe(0);
    expect(run.out).toContain('(namespace "production-routes")');
    expect((await gatehouse("versions", ...target)).out).toMatch(/^no versions published yet/);
  }, 60_000);
});

describe("wrangler's failures", () => {
  it("not logged in: says `npx wrangler login`, not wrangler's hints for its other commands", async () => {
    const file = await ws.file("routes.yaml", tableFor("a.example.com"));
    const run = await runGatehouse(["push", file, "--remote", "--namespace-id", "0123abcd"], {
      cwd: ws.dir,
      timeout: 90_000,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^gatehouse push: working on the remote namespace through wrangler/m);
    expect(run.stderr).toMatch(/gatehouse push: .*not logged in to Cloudflare: run `npx wrangler login`/);
    expect(run.stderr).not.toMatch(/--temporary|rerun this command|Logs were written/);

    // Through a config's binding (wrangler is asked for the deployed namespace, never a preview_id).
    const toml = await ws.file(
      "wrangler.toml",
      'name = "x"\nmain = "w.js"\ncompatibility_date = "2026-11-01"\n[[kv_namespaces]]\nbinding = "ROUTES"\npreview_id = "local-routes"\n',
    );
    const bound = await runGatehouse(["diff", file, "--remote", "--config", toml], {
      cwd: ws.dir,
      timeout: 90_000,
    });
    expect(bound.code).toBe(1);
    expect(bound.stderr).toMatch(/not logged in to Cloudflare: run `npx wrangler login`/);
  }, 180_000);

  it("reduces wrangler's output to what can be acted on", () => {
    const stderr = [
      "\u001b[31m✘ \u001b[41;31m[\u001b[41;97mERROR\u001b[41;31m]\u001b[0m \u001b[1mIn a non-interactive environment, it's necessary to set a CLOUDFLARE_API_TOKEN environment variable for wrangler to work.\u001b[0m",
      "",
      "  To continue without logging in, rerun this command with `--temporary`.",
      '🪵  Logs were written to "/home/x/.config/.wrangler/logs/wrangler.log"',
    ].join("\n");
    expect(wranglerFailure(stderr)).toBe(
      "not logged in to Cloudflare: run `npx wrangler login` (in CI, set CLOUDFLARE_API_TOKEN, and CLOUDFLARE_ACCOUNT_ID or --account-id). wrangler said: In a non-interactive environment, it's necessary to set a CLOUDFLARE_API_TOKEN environment variable for wrangler to work.",
    );
    expect(wranglerFailure("✘ [ERROR] More than one account available but unable to select one")).toMatch(
      /^your login sees more than one account: give --account-id ID/,
    );
    expect(wranglerFailure('✘ [ERROR] No KV namespace ID found for binding "ROUTES"')).toMatch(
      /^the ROUTES namespace has no id yet: deploy the Worker first/,
    );
  });
});
