/**
 * Golden translations: every `test/fixtures/k8s/NAME.yaml` is imported with the real command
 * (`gatehouse import NAME.yaml`, in process), and its table and problem lines are compared with
 * `NAME.expected.yaml` and `NAME.expected.txt` beside it. Each expected table must also pass
 * `gatehouse validate`'s checks unchanged.
 *
 *   UPDATE_GOLDEN=1 npx vitest run test/kubernetes/golden.test.ts   rewrites the expected files
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { parseRouteTableText } from "../../src/config/parse.ts";
import { validateRouteTable } from "../../src/config/validate.ts";

export const FIXTURES = join(import.meta.dirname, "..", "fixtures", "k8s");
export const GOLDEN_CASES = readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".yaml") && !f.endsWith(".expected.yaml"))
  .map((f) => f.slice(0, -".yaml".length))
  .sort();

export async function runImport(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(["import", ...args], {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
  });
  return { code, stdout, stderr };
}

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

  it("is the same table whatever order the objects come in", async () => {
    const text = readFileSync(join(FIXTURES, "gateway-api.yaml"), "utf8");
    const documents = text.split(/^---$/m);
    const reversed = [...documents].reverse().join("\n---\n");
    let stdout = "";
    const code = await main(["import", "-"], {
      stdout: (t) => void (stdout += t),
      stderr: () => {},
      stdin: (await import("node:stream")).Readable.from([reversed]),
    });
    expect(code).toBe(0);
    expect(stdout).toBe(readFileSync(join(FIXTURES, "gateway-api.expected.yaml"), "utf8"));
  });
});
