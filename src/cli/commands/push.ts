/**
 * `gatehouse push FILE [--local | --remote] [--env NAME] [--persist-to DIR] [--message TEXT]`
 *
 * Validate, then publish: the table is written under a new immutable version key first, then the
 * active pointer is moved to it. An invalid table is never written (every problem is printed, exit
 * 1, and KV is not even opened); a table identical to the active one writes nothing (exit 0).
 */
import { formatProblem } from "../../config/validate.ts";
import { tableCounts } from "../../store/kv-layout.ts";
import { publishTable } from "../../store/publish.ts";
import { CliInputError, CliUsageError, type Command, EXIT_INVALID, EXIT_OK, progress } from "../command.ts";
import { KV_TARGET_HELP, KV_TARGET_USAGE, publisherIdentity } from "../kv-target.ts";
import { LARGE_TABLE_ROUTES, loadRouteTableFile, printWarnings } from "../load-table.ts";
import { line, parseStoreArgs, plural, withKv } from "../store-command.ts";

export const pushCommand: Command = {
  name: "push",
  summary: "validate a route table and publish it to the ROUTES KV namespace",
  usage: `gatehouse push FILE ${KV_TARGET_USAGE} [--message TEXT] [--json]`,
  help: `Validates FILE, then publishes it: the table goes under a new immutable version key first, then
the active pointer moves to it. An invalid table is never written (KV is not even opened); a table
identical to the active one writes nothing. Every isolate picks the new table up within
ROUTES_REFRESH_SECONDS.

  FILE                    the route table (YAML or JSON)
  -m, --message TEXT      a note kept with the version (shown by \`gatehouse versions\`)
  --json                  one JSON object on stdout: {"outcome": "published", "version", "previous",
                          "routes", "rules", "target"} or {"outcome": "unchanged", "active"}
  -h, --help              this text

${KV_TARGET_HELP}

Who published is recorded from GATEHOUSE_PUBLISHER, else git's user.name/user.email, else the login.`,
  async run(args, io) {
    const { positionals, values, target } = parseStoreArgs(args, {
      message: { type: "string", short: "m" },
      json: { type: "boolean" },
    });
    if (positionals.length !== 1) throw new CliUsageError("expected exactly one FILE");
    const file = positionals[0]!;

    let loaded: Awaited<ReturnType<typeof loadRouteTableFile>>;
    try {
      loaded = await loadRouteTableFile(file, { progress: (text) => progress(io, "push", text) });
    } catch (err) {
      if (err instanceof CliInputError)
        throw new CliInputError([...err.lines, `${file}: nothing was written`], err.details);
      throw err;
    }
    printWarnings(io.stderr, loaded.warnings);

    return withKv(this.name, io, async (open) => {
      const kv = await open(target);
      if (loaded.table.routes.length >= LARGE_TABLE_ROUTES) {
        progress(io, "push", `publishing ${loaded.table.routes.length} routes to ${kv.description}…`);
      }
      const publishedBy = publisherIdentity();
      const message = typeof values.message === "string" ? values.message : undefined;
      const outcome = await publishTable(kv.store, loaded.table, {
        ...(publishedBy ? { publishedBy } : {}),
        ...(message ? { message } : {}),
      });
      switch (outcome.kind) {
        case "invalid":
          // The same validation just passed; kept so that no path can write an invalid table.
          for (const p of outcome.problems) line(io.stderr, formatProblem(p));
          line(io.stderr, `${file}: nothing was written`);
          return EXIT_INVALID;
        case "unchanged":
          if (values.json) {
            line(io.stdout, JSON.stringify({ outcome: "unchanged", active: outcome.active.id }));
            return EXIT_OK;
          }
          line(
            io.stdout,
            `unchanged: ${file} is identical to the active version ${outcome.active.id}; nothing was written`,
          );
          return EXIT_OK;
        case "published": {
          if (outcome.replacedDamagedPointer) {
            line(io.stderr, `warning: ${outcome.replacedDamagedPointer}; this push replaced it`);
          }
          const counts = tableCounts(outcome.table);
          if (values.json) {
            line(
              io.stdout,
              JSON.stringify({
                outcome: "published",
                version: outcome.version,
                previous: outcome.previous?.id ?? null,
                routes: counts.routes,
                rules: counts.rules,
                target: kv.description,
              }),
            );
            return EXIT_OK;
          }
          line(
            io.stdout,
            `published ${outcome.version.id} (${plural(counts.routes, "route")}, ${plural(counts.rules, "rule")}) to ${kv.description}`,
          );
          line(
            io.stdout,
            outcome.previous
              ? `active: ${outcome.version.id} (was ${outcome.previous.id}; undo with \`gatehouse rollback\`)`
              : `active: ${outcome.version.id} (no version was active before)`,
          );
          return EXIT_OK;
        }
      }
    });
  },
};
