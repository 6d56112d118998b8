/**
 * `gatehouse explain`, run as the real executable: the contract's JSON shapes on stdout (matched with
 * backend/upstreamUrl/upstreamHost, redirect, no match), -H headers, weighted backends, and the batch
 * form (one result line per input line, in order, malformed lines answered in place).
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonLines, REPO, runGatehouse } from "./bin.ts";

const TABLE = `
version: 1
clusters:
  orders:
    endpoints: [{ url: "http://127.0.0.1:9001" }]
  orders-canary:
    endpoints:
      - { url: "http://127.0.0.1:9002", weight: 1 }
      - { url: "http://127.0.0.1:9003", weight: 5 }
routes:
  - id: orders-api
    hostnames: [api.example.com]
    rules:
      - matches: [{ path: { type: PathPrefix, value: /foo } }]
        filters:
          - type: URLRewrite
            urlRewrite:
              hostname: orders.internal
              path: { type: ReplacePrefixMatch, replacePrefixMatch: / }
        backendRefs: [{ name: orders }]
      - name: canary
        matches:
          - path: { type: PathPrefix, value: /orders }
            headers: [{ name: x-canary, value: "1" }]
        backendRefs: [{ name: orders, weight: 10 }, { name: orders-canary, weight: 90 }]
      - matches: [{ path: { type: PathPrefix, value: /orders } }]
        backendRefs: [{ name: orders }]
      - matches: [{ path: { type: Exact, value: /old } }]
        filters:
          - type: RequestRedirect
            requestRedirect:
              scheme: https
              path: { type: ReplaceFullPath, replaceFullPath: /new }
              statusCode: 301
  - id: regex
    hostnames: [re.example.com]
    rules:
      - matches: [{ path: { type: RegularExpression, value: "/r/[a-z]+" } }]
        backendRefs: [{ name: orders }]
`;

let dir: string;
let table: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gatehouse-explain-"));
  table = join(dir, "routes.yaml");
  await writeFile(table, TABLE, "utf8");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function explain(...args: string[]) {
  return runGatehouse(["explain", table, ...args]);
}

describe('gatehouse explain FILE "METHOD URL"', () => {
  it("prints the contract's matched shape: backend, upstream URL after the rewrite, upstream Host", async () => {
    expect(await explain("GET https://api.example.com/foo/bar?x=1")).toEqual({
      code: 0,
      stdout:
        '{"matched":true,"route":"orders-api","rule":0,"backend":"orders","upstreamUrl":"http://127.0.0.1:9001/bar?x=1","upstreamHost":"orders.internal"}\n',
      stderr: "",
    });
  });

  it("takes request headers from -H, and names the most heavily weighted backend", async () => {
    const run = await explain(
      "GET https://api.example.com/orders/7",
      "-H",
      "X-Canary: 1",
      "--header",
      "accept: */*",
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      matched: true,
      route: "orders-api",
      rule: 1,
      backend: "orders-canary",
      // That cluster's most heavily weighted endpoint; the Host is the endpoint's own.
      upstreamUrl: "http://127.0.0.1:9003/orders/7",
      upstreamHost: "127.0.0.1:9003",
    });
    const without = await explain("GET https://api.example.com/orders/7");
    expect(JSON.parse(without.stdout)).toMatchObject({ rule: 2, backend: "orders" });
  });

  it("prints the redirect shape for a RequestRedirect rule", async () => {
    expect((await explain("GET http://api.example.com/old?q=1")).stdout).toBe(
      '{"matched":true,"route":"orders-api","rule":3,"redirect":{"status":301,"location":"https://api.example.com/new?q=1"}}\n',
    );
  });

  it("prints the no-match shape, exit 0 (the answer is the result, not an error)", async () => {
    expect(await explain("GET https://other.example.com/orders")).toEqual({
      code: 0,
      stdout: '{"matched":false,"status":404}\n',
      stderr: "",
    });
  });

  it("says 400 with the reason for a path the gateway refuses", async () => {
    expect(JSON.parse((await explain("GET https://api.example.com/orders/%2e%2e%2Fadmin")).stdout)).toEqual({
      matched: false,
      status: 400,
      reason: expect.stringMatching(/encoded slash/),
    });
  });

  it("says 400, as the Worker would, for a path longer than a route regex judges", async () => {
    expect(JSON.parse((await explain("GET https://re.example.com/r/abc")).stdout)).toMatchObject({
      matched: true,
    });
    expect(JSON.parse((await explain(`GET https://re.example.com/r/${"a".repeat(3000)}`)).stdout)).toEqual({
      matched: false,
      status: 400,
      reason: expect.stringMatching(
        /^a value of 3003 characters is longer than the \d+ a route regular expression judges$/,
      ),
    });
  });

  it("compares the method exactly as sent, as the Worker's matcher does: get is not GET", async () => {
    const methods = join(dir, "methods.yaml");
    await writeFile(
      methods,
      `version: 1
clusters:
  reads: { endpoints: [{ url: "http://127.0.0.1:9001" }] }
  rest: { endpoints: [{ url: "http://127.0.0.1:9002" }] }
routes:
  - id: api
    rules:
      - matches: [{ method: GET }]
        backendRefs: [{ name: reads }]
      - backendRefs: [{ name: rest }]
`,
      "utf8",
    );
    const backendFor = async (method: string) =>
      JSON.parse((await runGatehouse(["explain", methods, `${method} https://x.example.com/`])).stdout)
        .backend;
    expect(await backendFor("GET")).toBe("reads");
    expect(await backendFor("get")).toBe("rest");
    expect(await backendFor("Get")).toBe("rest");
  });

  it("refuses, as the Worker does, a path an origin would read as a differently protected rule's", async () => {
    const example = (url: string) => runGatehouse(["explain", "examples/routes.yaml", `GET ${url}`]);
    expect(JSON.parse((await example("http://api.localhost:8787/PRIVATE/x")).stdout)).toEqual({
      matched: false,
      status: 400,
      reason:
        'origins that read paths with "caseInsensitive" would read this path as /private/x, which a differently protected rule serves',
    });
    expect(JSON.parse((await example("http://api.localhost:8787/private;x/y")).stdout)).toMatchObject({
      status: 400,
      reason: expect.stringContaining('"semicolonParameters"'),
    });
    expect(JSON.parse((await example("http://api.localhost:8787/Echo/x")).stdout)).toMatchObject({
      matched: true,
      route: "fallback",
    });
  });

  it("matches the path the origin would receive: dot segments resolved first", async () => {
    expect(JSON.parse((await explain("GET https://api.example.com/orders/../foo/x")).stdout)).toMatchObject({
      rule: 0,
      upstreamUrl: "http://127.0.0.1:9001/x",
    });
  });

  it.each([
    [[], /expected FILE and one "METHOD URL"/],
    [["GET"], /expected "METHOD URL", got "GET"/],
    [["GET /orders"], /not an absolute URL: "\/orders"/],
    [["GET ftp://api.example.com/"], /not an http\(s\) URL/],
    [["G(T https://api.example.com/"], /"G\(T" is not an HTTP method/],
    [["GET https://api.example.com/", "-H", "no-colon"], /-H "no-colon": expected "name: value"/],
    [
      ["GET https://api.example.com/", "-H", "x: a\u0001b"],
      /the value has characters no HTTP header can hold/,
    ],
    [["GET https://api.example.com/", "--verbose"], /Unknown option '--verbose'/],
    [["GET https://api.example.com/", "--requests", "x.jsonl"], /with --requests, expected only FILE/],
  ])("exits 2 with its usage for wrong arguments: %j", async (args, reason) => {
    const run = await explain(...(args as string[]));
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(reason);
    expect(run.stderr).toContain("usage: gatehouse explain FILE");
  });

  it("exits 1 with the table's problems when the table is invalid", async () => {
    const run = await runGatehouse([
      "explain",
      "test/fixtures/invalid/references.invalid.yaml",
      "GET https://api.example.com/",
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain('routes[2].rules[0].backendRefs[0].name: no cluster "ordrs"\n');
  });
});

describe("gatehouse explain FILE --requests REQUESTS.jsonl", () => {
  it("answers examples/requests.jsonl one line per line, in order, as the single form would", async () => {
    const input = (await readFile(join(REPO, "examples/requests.jsonl"), "utf8")).split("\n").filter(Boolean);
    const batch = await runGatehouse([
      "explain",
      "examples/routes.yaml",
      "--requests",
      "examples/requests.jsonl",
    ]);
    expect(batch.code).toBe(0);
    // The table's warnings only (the example's protected backend is also behind its open catch-all).
    expect(batch.stderr).toMatch(/^(warning: [^\n]*\n)*$/);
    const results = jsonLines(batch.stdout);
    expect(results).toHaveLength(input.length);

    const singles = await Promise.all(
      input.map(async (line) => {
        const request = JSON.parse(line) as { method: string; url: string; headers?: Record<string, string> };
        const headers = Object.entries(request.headers ?? {}).flatMap(([name, value]) => [
          "-H",
          `${name}: ${value}`,
        ]);
        const run = await runGatehouse([
          "explain",
          "examples/routes.yaml",
          `${request.method} ${request.url}`,
          ...headers,
        ]);
        return JSON.parse(run.stdout) as unknown;
      }),
    );
    expect(results).toEqual(singles);
  });

  it("answers a malformed line with an error line in its place and goes on; exit 1, a count on stderr", async () => {
    const requests = join(dir, "mixed.jsonl");
    await writeFile(
      requests,
      [
        '{"method": "GET", "url": "https://api.example.com/orders/1"}',
        "not json",
        '{"method": "GET"}',
        "",
        '{"method": "GET", "url": "https://api.example.com/", "headers": {"bad name": "x"}}',
        '{"method": "GET", "url": "https://api.example.com/orders/2", "headers": {"x-canary": "1"}}',
        "",
      ].join("\n"),
    );
    const run = await explain("--requests", requests);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`${requests}: 4 malformed lines\n`);
    expect(jsonLines(run.stdout)).toEqual([
      expect.objectContaining({ matched: true, rule: 2 }),
      { error: expect.stringMatching(/^not JSON/), line: 2 },
      { error: "url: required", line: 3 },
      { error: "empty line", line: 4 },
      { error: 'headers["bad name"]: name is not a valid HTTP header name', line: 5 },
      expect.objectContaining({ matched: true, rule: 1, backend: "orders-canary" }),
    ]);
  });

  it('reads standard input for "-"', async () => {
    const run = await runGatehouse(["explain", table, "--requests", "-"], {
      stdin:
        '{"method": "GET", "url": "https://other.example.com/"}\n{"method": "get", "url": "http://api.example.com/old"}\n',
    });
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout)).toEqual([
      { matched: false, status: 404 },
      {
        matched: true,
        route: "orders-api",
        rule: 3,
        redirect: { status: 301, location: "https://api.example.com/new" },
      },
    ]);
  });

  it("exits 1 when the requests file cannot be read, 2 when -H is given with it", async () => {
    expect(await explain("--requests", join(dir, "missing.jsonl"))).toMatchObject({
      code: 1,
      stdout: "",
      stderr: `${join(dir, "missing.jsonl")}: cannot read (no such file)\n`,
    });
    const mixed = await explain("--requests", "-", "-H", "x: 1");
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/-H cannot be combined with --requests/);
  });
});
