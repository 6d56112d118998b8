/**
 * Writes schema/route-table.schema.json from the zod schema (`npm run schema:export`).
 * `--check` writes nothing and exits 1 when the committed file is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { routeTableJsonSchema } from "../src/config/json-schema.ts";

export const SCHEMA_FILE = new URL("../schema/route-table.schema.json", import.meta.url);

export function renderJsonSchema(): string {
  return `${JSON.stringify(routeTableJsonSchema(), null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const fresh = renderJsonSchema();
  if (process.argv.includes("--check")) {
    let committed = "";
    try {
      committed = readFileSync(SCHEMA_FILE, "utf8");
    } catch {}
    if (committed !== fresh) {
      process.stderr.write("schema/route-table.schema.json is stale: run npm run schema:export\n");
      process.exitCode = 1;
    }
  } else {
    writeFileSync(SCHEMA_FILE, fresh);
    process.stdout.write("wrote schema/route-table.schema.json\n");
  }
}
