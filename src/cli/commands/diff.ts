/**
 * `gatehouse diff FILE [--local | --remote] [--env NAME] [--persist-to DIR] [--json]`
 *
 * What `push FILE` would change against the active version, route by route. Exit 0 whether or not
 * there are changes (1 only when FILE is invalid or KV cannot be read).
 */
import { diffTables, formatDiff, isEmptyDiff } from "../../store/diff.ts";
import { tableHash } from "../../store/kv-layout.ts";
import { loadActiveVersion } from "../../store/publish.ts";
import { CliUsageError, type Command, EXIT_OK, progress } from "../command.ts";
import { KV_TARGET_HELP, KV_TARGET_USAGE } from "../kv-target.ts";
import { loadRouteTableFile, printWarnings } from "../load-table.ts";
import { line, parseStoreArgs, withKv } from "../store-command.ts";

export const diffCommand: Command = {
  name: "diff",
  summary: "show what pushing a route table would change, route by route",
  usage: `gatehouse diff FILE ${KV_TARGET_USAGE} [--json]`,
  help: `What \`gatehouse push FILE\` would change against the active version, route by route (routes added,
removed and changed; clusters and providers). Validates FILE first; writes nothing. Exit 0 whether or
not there are changes.

  FILE                    the route table (YAML or JSON)
  --json                  one JSON object on stdout: {"active": ID | null, "identical": BOOLEAN,
                          "diff": {"routes": [{"name", "kind", "summary"?, "changes"}],
                          "routeOrder"?, "clusters": [...], "providers": [...],
                          "settings": [{"field", "before", "after"}]}}; kind is
                          added, removed or changed
  -h, --help              this text

${KV_TARGET_HELP}`,
  async run(args, io) {
    const { positionals, values, target } = parseStoreArgs(args, { json: { type: "boolean" } });
    if (positionals.length !== 1) throw new CliUsageError("expected exactly one FILE");
    const file = positionals[0]!;
    const loaded = await loadRouteTableFile(file, { progress: (text) => progress(io, "diff", text) });
    printWarnings(io.stderr, loaded.warnings);

    return withKv(this.name, io, async (open) => {
      const kv = await open(target);
      const active = await loadActiveVersion(kv.store);
      const diff = diffTables(active?.table, loaded.table);
      const identical = active !== undefined && (await tableHash(loaded.table)) === active.info.hash;
      if (values.json) {
        line(io.stdout, JSON.stringify({ active: active?.info.id ?? null, identical, diff }, null, 2));
        return EXIT_OK;
      }
      line(
        io.stdout,
        active
          ? `${file} against the active version ${active.info.id}:`
          : `${file} against an empty namespace (nothing published yet):`,
      );
      if (identical) {
        line(io.stdout, "no changes: push would write nothing.");
        return EXIT_OK;
      }
      if (isEmptyDiff(diff)) {
        // Only fields this summary does not cover differ; say so rather than claim "no changes".
        line(
          io.stdout,
          "the table differs only in fields this summary does not show; push would publish it.",
        );
        return EXIT_OK;
      }
      for (const text of formatDiff(diff)) line(io.stdout, text);
      return EXIT_OK;
    });
  },
};
