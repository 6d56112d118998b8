/**
 * Golden translations: every `test/fixtures/k8s/NAME.yaml` is imported with the real command
 * (`gatehouse import NAME.yaml`, in process), and its table and problem lines are compared with
 * `NAME.expected.yaml` and `NAME.expected.txt` beside it. Each expected table must also pass
 * `gatehouse validate`'s checks unchanged.
 *
 *   UPDATE_GOLDEN=1 npx vitest run test/kubernetes/golden.test.ts   rewrites the expected files
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { parseRouteTableText } from "../../src/config/parse.ts";
import { validateRouteTable } from "../../src/config/validate.ts";
import { FIXTURES, GOLDEN_CASES, runImport } from "./fixtures.ts";

describe("golden translations (test/fixtures/k8s)", () => {
  it("has the cases the issue asks for", () => {
    expect(GOLDEN_CASES).toEqual(expect.arrayContaining(["gateway-api", "ingress-nginx", "ingress-paths"]));
  });

  it.each(GOLDEN_CASES)("%s: table and problems as expected", async (name) => {
    const source = join(FIXTURES, `${name}.yaml`);
    const run = await runImport([source]);
    expect(run.code).toBe(0);
    const problems = run.stderr.replaceAll(`${FIXTURES}/`, "");
    const tableFile = join(FIXTURES, `${name}.expected.yaml`);
    const problemsFile = join(FIXTURES, `${name}.expected.txt`);
    if (process.env.UPDATE_GOLDEN) {
      writeFileSync(tableFile, run.stdout);
      writeFileSync(problemsFile, problems);
    }
    expect(run.stdout).toBe(readFileSync(tableFile, "utf8"));
    expect(problems).toBe(readFileSync(problemsFile, "utf8"));
    expect(validateRouteTable(parseRouteTableText(run.stdout)).ok).toBe(true);
  });

  it("is the same table whatever order the objects come in (read from stdin)", async () => {
    const text = readFileSync(join(FIXTURES, "gateway-api.yaml"), "utf8");
    const reversed = text.split(/^---$/m).reverse().join("\n---\n");
    const run = await runImport(["-"], Readable.from([reversed]));
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(readFileSync(join(FIXTURES, "gateway-api.expected.yaml"), "utf8"));
  });
});
