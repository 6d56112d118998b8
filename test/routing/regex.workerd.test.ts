/**
 * Route regexes through the real Worker in workerd, table from real KV (issue 11, "one request can
 * stall the isolate"). Before RE2, the issue's pattern passed `validate` and one 110-character path
 * blocked the isolate for 18 s; the patterns below that are exponential for a backtracking engine
 * never returned. Nothing here times a request (speed is `npm run bench`'s): a stall fails the test by
 * its timeout.
 */
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { formatProblem } from "../../src/config/problems.ts";
import type { RouteTableInput } from "../../src/config/schema.ts";
import { compileTableRegex } from "../../src/routing/regex.ts";
import { publishTable } from "../../src/store/publish.ts";
import { publish, resetRoutes, routesKv, viaWorker } from "../store/kv-test-helpers.ts";
import { podUrl } from "../support/origins.ts";

const ISSUE_PATTERN = "/r/[a-z]{0,99}[a-z]{0,99}[a-z]{0,99}[a-z]{0,99}[a-z]{0,99}[a-z]{0,99}!";
/** 110 characters that almost match: every way to split them is tried by a backtracking engine. */
const ALMOST = `/r/${"a".repeat(107)}`;
const LETTERS = "a".repeat(107);

/** Within the program-size cap, and exponential (or of high degree) for a backtracking engine. */
const PATH_PATTERN = "/r/(?:[a-z]+)+!";
const HEADER_PATTERN = "(?:[a-z]+)+!";
const QUERY_PATTERN = "[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*!";

function table(): RouteTableInput {
  return {
    version: 1,
    clusters: { pods: { endpoints: [{ url: podUrl("pod-a") }] } },
    routes: [
      {
        id: "regexes",
        hostnames: ["re.test"],
        rules: [
          {
            name: "path",
            matches: [{ path: { type: "RegularExpression", value: PATH_PATTERN } }],
            backendRefs: [{ name: "pods" }],
          },
          {
            name: "header",
            matches: [
              {
                path: { type: "PathPrefix", value: "/h" },
                headers: [{ name: "x-tag", type: "RegularExpression", value: HEADER_PATTERN }],
              },
            ],
            backendRefs: [{ name: "pods" }],
          },
          {
            name: "query",
            matches: [
              {
                path: { type: "PathPrefix", value: "/q" },
                queryParams: [{ name: "tag", type: "RegularExpression", value: QUERY_PATTERN }],
              },
            ],
            backendRefs: [{ name: "pods" }],
          },
        ],
      },
    ],
  };
}

async function answer(url: string, init?: RequestInit): Promise<{ status: number; error?: string }> {
  const res = await viaWorker(url, init);
  if (res.headers.get("content-type")?.startsWith("application/json") && res.status >= 400) {
    const body = (await res.json()) as { error: string };
    return { status: res.status, error: body.error };
  }
  await res.body?.cancel();
  return { status: res.status };
}

beforeEach(resetRoutes);
afterAll(resetRoutes);

describe("route regexes in the Worker (RE2)", () => {
  it("refuses the issue's pattern at publish: validate names the field and the cap (today: published, then 18 s per request)", async () => {
    const input: RouteTableInput = {
      ...table(),
      routes: [
        {
          id: "issue",
          rules: [
            {
              matches: [{ path: { type: "RegularExpression", value: ISSUE_PATTERN } }],
              backendRefs: [{ name: "pods" }],
            },
          ],
        },
      ],
    };
    const outcome = await publishTable(routesKv(), input, { publishedBy: "tests" });
    if (outcome.kind !== "invalid") throw new Error(`expected a refusal, got ${outcome.kind}`);
    expect(outcome.problems.map(formatProblem)).toEqual([
      expect.stringMatching(
        /^routes\[0\]\.rules\[0\]\.matches\[0\]\.path\.value: regular expression program size 1194 exceeds the limit of 100 /,
      ),
    ]);
  });

  it("answers a path that backtracking would never finish, and still matches what it should", async () => {
    await publish(table());
    expect(await answer(`https://re.test${ALMOST}`)).toEqual({ status: 404, error: "route_not_found" });
    expect((await answer(`https://re.test${ALMOST}!`)).status).toBe(200);
  });

  it("answers a header that backtracking would never finish", async () => {
    await publish(table());
    expect(await answer("https://re.test/h", { headers: { "x-tag": LETTERS } })).toEqual({
      status: 404,
      error: "route_not_found",
    });
    expect((await answer("https://re.test/h", { headers: { "x-tag": `${LETTERS}!` } })).status).toBe(200);
  });

  it("answers a query value that backtracking would take minutes over", async () => {
    await publish(table());
    expect(await answer(`https://re.test/q?tag=${LETTERS}`)).toEqual({
      status: 404,
      error: "route_not_found",
    });
    expect((await answer(`https://re.test/q?tag=${LETTERS}!`)).status).toBe(200);
  });

  it("refuses a value longer than its regex judges, never routes it past the regex", async () => {
    await publish(table());
    const pathLimit = compileTableRegex(PATH_PATTERN).subjectLimit;
    const headerLimit = compileTableRegex(HEADER_PATTERN).subjectLimit;
    // At the limit: judged (and matched); one character more: refused, not sent to another rule.
    expect((await answer(`https://re.test/r/${"a".repeat(pathLimit - 4)}!`)).status).toBe(200);
    expect(await answer(`https://re.test/r/${"a".repeat(pathLimit - 3)}!`)).toEqual({
      status: 400,
      error: "bad_request",
    });
    expect(
      await answer("https://re.test/h", { headers: { "x-tag": `${"a".repeat(headerLimit)}!` } }),
    ).toEqual({
      status: 400,
      error: "bad_request",
    });
  });
});
