/**
 * Writes what is generated from the zod schema (`npm run schema:export`): schema/route-table.schema.json
 * and the GatehousePolicy CRD, deploy/crds/gatehouse.dev_gatehousepolicies.yaml.
 * `--check` writes nothing and exits 1 when a committed file is stale.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { stringify } from "yaml";
import { routeTableJsonSchema } from "../src/config/json-schema.ts";
import { gatehousePolicyCrd } from "../src/kubernetes/crd.ts";

export const SCHEMA_FILE = new URL("../schema/route-table.schema.json", import.meta.url);
export const CRD_FILE = new URL("../deploy/crds/gatehouse.dev_gatehousepolicies.yaml", import.meta.url);

export function renderCrd(): string {
  return `# Generated from the route table's schema by \`npm run schema:export\`: do not edit.\n${stringify(gatehousePolicyCrd(), { lineWidth: 0 })}`;
}

export function renderJsonSchema(): string {
  return `${JSON.stringify(routeTableJsonSchema(), null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outputs = [
    { file: SCHEMA_FILE, name: "schema/route-table.schema.json", fresh: renderJsonSchema() },
    { file: CRD_FILE, name: "deploy/crds/gatehouse.dev_gatehousepolicies.yaml", fresh: renderCrd() },
  ];
  for (const { file, name, fresh } of outputs) {
    if (process.argv.includes("--check")) {
      let committed = "";
      try {
        committed = readFileSync(file, "utf8");
      } catch {}
      if (committed !== fresh) {
        process.stderr.write(`${name} is stale: run npm run schema:export\n`);
        process.exitCode = 1;
      }
    } else {
      mkdirSync(new URL(".", file), { recursive: true });
      writeFileSync(file, fresh);
      process.stdout.write(`wrote ${name}\n`);
    }
  }
}
