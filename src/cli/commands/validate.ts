/**
 * `gatehouse validate FILE`: exit 0 when the table is valid (warnings, if any, on stderr), else exit 1
 * with every problem on stderr, one a line, as `path.to.field: reason`.
 */
import type { RouteTable } from "../../config/schema.ts";
import { parseCommandLine } from "../args.ts";
import { CliUsageError, type Command, EXIT_OK } from "../command.ts";
import { loadRouteTableFile, printWarnings } from "../load-table.ts";

export const validateCommand: Command = {
  name: "validate",
  summary: "check a route table: every problem at once, as path.to.field: reason",
  usage: "gatehouse validate FILE",
  async run(args, io) {
    const { positionals } = parseCommandLine(args, {});
    if (positionals.length !== 1) throw new CliUsageError("expected exactly one FILE");
    const loaded = await loadRouteTableFile(positionals[0]!);
    printWarnings(io.stderr, loaded.warnings);
    io.stdout(`${loaded.path}: valid (${summarize(loaded.table)})\n`);
    return EXIT_OK;
  },
};

function summarize(table: RouteTable): string {
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const rules = table.routes.reduce((n, route) => n + route.rules.length, 0);
  return [
    count(table.routes.length, "route"),
    count(rules, "rule"),
    count(Object.keys(table.clusters).length, "cluster"),
    count(Object.keys(table.providers).length, "provider"),
  ].join(", ");
}
