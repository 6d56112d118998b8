/**
 * `gatehouse validate FILE [--json]`: exit 0 when the table is valid (warnings, if any, on stderr), else
 * exit 1 with every problem on stderr, one a line, as `path.to.field: reason`.
 */
import type { RouteTable } from "../../config/schema.ts";
import { parseCommandLine } from "../args.ts";
import { CliUsageError, type Command, EXIT_OK, progress } from "../command.ts";
import { loadRouteTableFile, printWarnings } from "../load-table.ts";

export const validateCommand: Command = {
  name: "validate",
  summary: "check a route table: every problem at once, as path.to.field: reason",
  usage: "gatehouse validate FILE [--json]",
  help: `Reads, parses and validates FILE (YAML or JSON) exactly as push does. Nothing is written.

  FILE        the route table
  --json      one JSON object on stdout: {"file", "valid": true, "routes", "rules", "clusters",
              "providers", "warnings": [{"path", "message"}]}; when invalid, {"error": {"kind":
              "invalid", "message", "problems": [{"path", "message", "line"?, "column"?}], "warnings"}}
  -h, --help  this text

Valid: a summary on stdout, warnings on stderr as "warning: path: reason", exit 0.
Invalid: every problem on stderr as "path.to.field: reason", exit 1.`,
  async run(args, io) {
    const { positionals, values } = parseCommandLine(args, { json: { type: "boolean" } });
    if (positionals.length !== 1) throw new CliUsageError("expected exactly one FILE");
    const loaded = await loadRouteTableFile(positionals[0]!, {
      progress: (text) => progress(io, "validate", text),
    });
    printWarnings(io.stderr, loaded.warnings);
    const counts = countsOf(loaded.table);
    if (values.json) {
      io.stdout(
        `${JSON.stringify({ file: loaded.path, valid: true, ...counts, warnings: loaded.warnings })}\n`,
      );
      return EXIT_OK;
    }
    io.stdout(`${loaded.path}: valid (${summarize(counts)})\n`);
    return EXIT_OK;
  },
};

function countsOf(table: RouteTable) {
  return {
    routes: table.routes.length,
    rules: table.routes.reduce((n, route) => n + route.rules.length, 0),
    clusters: Object.keys(table.clusters).length,
    providers: Object.keys(table.providers).length,
  };
}

function summarize(counts: ReturnType<typeof countsOf>): string {
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return [
    count(counts.routes, "route"),
    count(counts.rules, "rule"),
    count(counts.clusters, "cluster"),
    count(counts.providers, "provider"),
  ].join(", ");
}
