/** The golden cases in test/fixtures/k8s and running `gatehouse import` in process, for the kubernetes tests. */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { main } from "../../src/cli/main.ts";

export const FIXTURES = join(import.meta.dirname, "..", "fixtures", "k8s");
export const GOLDEN_CASES = readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".yaml") && !f.endsWith(".expected.yaml"))
  .map((f) => f.slice(0, -".yaml".length))
  .sort();

export async function runImport(
  args: string[],
  stdin?: Readable,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(["import", ...args], {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    ...(stdin ? { stdin } : {}),
  });
  return { code, stdout, stderr };
}
