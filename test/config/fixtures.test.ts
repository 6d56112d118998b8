/**
 * The fixture tables in test/fixtures, read the way `gatehouse validate` reads a file (the CLI's own
 * `loadRouteTableFile`: read, parse, validate):
 *
 * - `invalid/NAME.invalid.{yaml,json}` must be refused with exactly the lines of `NAME.expected.txt`,
 *   in order: `path.to.field: reason` per problem, then `warning: …` lines; a file that does not parse
 *   gives one `line L, column C: reason` line;
 * - `valid/NAME.{yaml,json}` must validate, with exactly the warnings of `NAME.expected.txt` when there
 *   is one and none otherwise.
 *
 * The file name in front of whole-file problems (`routes.yaml: line 3, …`) is left out of the expected
 * lines, so fixtures stay independent of where the suite runs.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CliInputError } from "../../src/cli/command.ts";
import { formatWarning, loadRouteTableFile } from "../../src/cli/load-table.ts";

const FIXTURES = join(import.meta.dirname, "..", "fixtures");
const INVALID = join(FIXTURES, "invalid");
const VALID = join(FIXTURES, "valid");

const invalidFixtures = readdirSync(INVALID).filter((file) => /\.invalid\.(ya?ml|json)$/.test(file));
const validFixtures = readdirSync(VALID).filter((file) => /\.(ya?ml|json)$/.test(file));

function expectedLines(file: string): string[] {
  return readFileSync(file, "utf8").split("\n").filter(Boolean);
}

/** What the CLI would print on stderr for `path`, one entry a line, without the file name prefix. */
async function refusal(path: string): Promise<string[]> {
  try {
    await loadRouteTableFile(path);
  } catch (error) {
    if (!(error instanceof CliInputError)) throw error;
    return error.lines.map((line) => (line.startsWith(`${path}: `) ? line.slice(path.length + 2) : line));
  }
  throw new Error(`${path} validated, but it is an .invalid fixture`);
}

describe("invalid fixtures", () => {
  it("exist, each with its expected problems", () => {
    expect(invalidFixtures.length).toBeGreaterThanOrEqual(10);
    const stems = invalidFixtures.map((file) => file.replace(/\.invalid\.\w+$/, ""));
    expect(new Set(stems).size, "two fixtures would share one .expected.txt").toBe(stems.length);
    const expectations = readdirSync(INVALID).filter((file) => file.endsWith(".expected.txt"));
    expect(expectations.map((file) => file.replace(".expected.txt", "")).sort()).toEqual([...stems].sort());
  });

  it.each(invalidFixtures)("%s is refused with exactly its expected problems", async (file) => {
    const expected = expectedLines(join(INVALID, file.replace(/\.invalid\.\w+$/, ".expected.txt")));
    expect(await refusal(join(INVALID, file))).toEqual(expected);
  });
});

describe("valid fixtures", () => {
  it.each(validFixtures)("%s validates, with exactly its expected warnings", async (file) => {
    const path = join(VALID, file);
    const expected = linesIfPresent(path.replace(/\.\w+$/, ".expected.txt"));
    const loaded = await loadRouteTableFile(path);
    expect(loaded.warnings.map(formatWarning)).toEqual(expected);
  });

  it("warnings.yaml has warnings (shadowed rules among them)", async () => {
    const loaded = await loadRouteTableFile(join(VALID, "warnings.yaml"));
    expect(loaded.warnings.some((warning) => warning.message.startsWith("can never win"))).toBe(true);
  });
});

function linesIfPresent(file: string): string[] {
  try {
    return expectedLines(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/** The list of meaning checks: each has at least one fixture line saying so. */
describe("coverage of the checks the issue lists", () => {
  const all = readdirSync(INVALID)
    .filter((file) => file.endsWith(".expected.txt"))
    .flatMap((file) => expectedLines(join(INVALID, file)));

  it.each([
    ["unknown cluster", /backendRefs\[0\]\.name: no cluster "/],
    ["unknown provider", /auth\.provider: no provider "/],
    ["duplicate route id", /\.id: duplicate route id/],
    ["duplicate rule name", /\.name: duplicate rule name/],
    [
      "ReplacePrefixMatch without exactly one PathPrefix match",
      /ReplacePrefixMatch needs exactly one match in its rule, a PathPrefix match/,
    ],
    ["invalid regex", /is not a valid RE2 regular expression/],
    ["regex over the program-size cap", /regular expression program size \d+ exceeds the limit of 100/],
    ["regex lookaround", /uses lookaround .*, which RE2 does not support/],
    ["regex backreference", /uses a backreference .*, which RE2 does not support/],
    ["bad hostname", /hostnames\[\d+\]: .* must be a DNS name/],
    ["negative weight", /backendRefs\[0\]\.weight: must be at least 0/],
    ["malformed duration", /is not a duration/],
    ["invalid header name", /is not a valid HTTP header name/],
    ["invalid header value", /has characters not allowed in an HTTP header value/],
    ["shadowed rule", /^warning: .*can never win/],
    ["YAML syntax error with a position", /^line \d+, column \d+: /],
  ])("%s", (_, pattern) => {
    expect(all.some((line) => pattern.test(line))).toBe(true);
  });
});
