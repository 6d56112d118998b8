/**
 * The package as a route-table repository installs it: `npm pack` (which builds dist/ through
 * `prepack`), then `npm install` of the tarball in a temporary directory outside the checkout that
 * holds only route tables (no wrangler.toml, no TypeScript tooling), and the GitOps flow through the
 * installed bin against local state: validate, explain, diff, push, versions, rollback.
 *
 * Dependencies come from npm's cache (`--prefer-offline`): the registry is asked only for what the cache
 * lacks, and nothing else is on the network.
 */
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO } from "./bin.ts";

const run = promisify(execFile);

let dir: string;
let repo: string;
let bin: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gatehouse-package-"));
  await run("npm", ["pack", "--pack-destination", dir], { cwd: REPO, timeout: 120_000 });
  const [tarball] = (await readdir(dir)).filter((f) => f.endsWith(".tgz"));
  repo = join(dir, "routes-repo");
  await mkdir(repo);
  await writeFile(
    join(repo, "package.json"),
    JSON.stringify({
      name: "routes-repo",
      private: true,
      devDependencies: { gatehouse: `file:../${tarball}` },
    }),
  );
  await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: repo,
    timeout: 240_000,
  });
  bin = join(repo, "node_modules", ".bin", "gatehouse");
  await copyFile(join(REPO, "examples", "routes.yaml"), join(repo, "routes.yaml"));
}, 400_000);

afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

async function gatehouse(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd: repo, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const NAMESPACE = ["--namespace-id", "routes"];

describe("the packed package, installed in a route-table repository", () => {
  it("ships the build, not the sources", async () => {
    const installed = join(repo, "node_modules", "gatehouse");
    expect((await stat(join(installed, "dist", "gatehouse.js"))).isFile()).toBe(true);
    await expect(stat(join(installed, "src"))).rejects.toThrow();
    expect((await gatehouse("--version")).stdout).toMatch(/^gatehouse \d+\.\d+\.\d+\n$/);
  });

  it("validates and explains", async () => {
    expect(await gatehouse("validate", "routes.yaml")).toMatchObject({
      code: 0,
      stdout: "routes.yaml: valid (2 routes, 7 rules, 2 clusters, 1 provider)\n",
    });
    const explained = await gatehouse("explain", "routes.yaml", "GET http://api.localhost:8787/echo/hi");
    expect(JSON.parse(explained.stdout)).toMatchObject({ matched: true, route: "api", backend: "demo" });
  });

  it("says how to name the namespace when there is no wrangler config", async () => {
    const run = await gatehouse("push", "routes.yaml");
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no wrangler config .* give the namespace with --namespace-id ID/);
  }, 60_000);

  it("diff, push, versions and rollback against local state, by namespace id", async () => {
    const diff = await gatehouse("diff", "routes.yaml", ...NAMESPACE, "--json");
    expect(diff.code, diff.stderr).toBe(0);
    expect(JSON.parse(diff.stdout)).toMatchObject({ active: null, identical: false });

    const first = await gatehouse("push", "routes.yaml", ...NAMESPACE, "-m", "first", "--json");
    expect(first.code, first.stderr).toBe(0);
    const v1 = (JSON.parse(first.stdout) as { version: { id: string } }).version.id;

    const table = await readFile(join(REPO, "examples", "routes.yaml"), "utf8");
    await writeFile(
      join(repo, "routes.yaml"),
      table.replace("hostnames: [api.localhost]", "hostnames: [api.localhost, api2.localhost]"),
    );
    const second = await gatehouse("push", "routes.yaml", ...NAMESPACE, "--json");
    expect(JSON.parse(second.stdout)).toMatchObject({ outcome: "published", previous: v1 });

    const versions = JSON.parse((await gatehouse("versions", ...NAMESPACE, "--json")).stdout) as {
      versions: { id: string; message?: string }[];
    };
    expect(versions.versions).toHaveLength(2);

    const back = await gatehouse("rollback", ...NAMESPACE, "--json");
    expect(JSON.parse(back.stdout)).toMatchObject({ outcome: "rolled-back", active: v1 });
  }, 120_000);
});
