/**
 * Running the real `gatehouse` executable (bin/gatehouse.js, what `npx gatehouse` runs) as a child
 * process: exit code, stdout and stderr exactly as a shell or a script sees them.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";

export const REPO = join(import.meta.dirname, "..", "..");
const BIN = join(REPO, "bin", "gatehouse.js");

export interface BinRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `gatehouse ...args` from the repository root (or `cwd`); `stdin` is written to the child's standard
 * input.
 */
export function runGatehouse(
  args: readonly string[],
  options: { stdin?: string; cwd?: string; timeout?: number } = {},
): Promise<BinRun> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: options.cwd ?? REPO,
        timeout: options.timeout ?? 20_000,
        env: { ...process.env, NO_COLOR: "1" },
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") {
          reject(error);
          return;
        }
        resolve({ code: typeof error?.code === "number" ? error.code : 0, stdout, stderr });
      },
    );
    child.stdin?.end(options.stdin ?? "");
  });
}

/** Each non-empty stdout line, parsed as JSON. */
export function jsonLines(text: string): unknown[] {
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as unknown);
}
