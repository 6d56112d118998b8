#!/usr/bin/env node
// Installed from the package, the CLI is the build in dist/ (plain JavaScript, no TypeScript tooling
// needed). In a checkout of the repository, where src/ is and tsx is installed, it runs the TypeScript
// sources in place, so `npx gatehouse` works right after `npm ci` and is never a stale build.
import { existsSync } from "node:fs";

const source = new URL("../src/cli/main.ts", import.meta.url);
const tsx = existsSync(source) ? await import("tsx/esm/api").catch(() => undefined) : undefined;
let main;
if (tsx) {
  tsx.register();
  ({ main } = await import(source.href));
} else {
  ({ main } = await import("../dist/gatehouse.js"));
}
process.exitCode = await main(process.argv.slice(2));
