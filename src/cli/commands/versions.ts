/**
 * `gatehouse versions [--local | --remote] [--env NAME] [--persist-to DIR] [--json]`
 *
 * Every published version, newest first, the active one marked `*`. One KV listing: the details come
 * from each version key's metadata, not from reading every table.
 */
import { listVersions, type VersionSummary } from "../../store/publish.ts";
import { CliUsageError, type Command, EXIT_OK } from "../command.ts";
import { KV_TARGET_HELP, KV_TARGET_USAGE } from "../kv-target.ts";
import { line, parseStoreArgs, shortTime, withKv } from "../store-command.ts";

function columns(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd(),
  );
}

export function formatVersions(versions: readonly VersionSummary[]): string[] {
  const rows = [["", "VERSION", "PUBLISHED", "BY", "ROUTES", "MESSAGE"]];
  for (const v of versions) {
    rows.push([
      v.active ? "*" : "",
      v.id,
      shortTime(v.publishedAt),
      v.publishedBy ?? "-",
      v.routes === undefined ? "-" : String(v.routes),
      v.message ?? "",
    ]);
  }
  return columns(rows);
}

export const versionsCommand: Command = {
  name: "versions",
  summary: "list published route-table versions, the active one marked *",
  usage: `gatehouse versions ${KV_TARGET_USAGE} [--json]`,
  help: `Lists every published version, newest first, the active one marked *: id, when, by whom, how
many routes, and the push message. One KV listing (the details are each version key's metadata).

  --json                  one JSON object on stdout: {"active": ID | null, "versions": [{"id",
                          "version", "hash", "publishedAt", "publishedBy", "message", "routes",
                          "rules", "active"}]}
  -h, --help              this text

${KV_TARGET_HELP}`,
  async run(args, io) {
    const { positionals, values, target } = parseStoreArgs(args, { json: { type: "boolean" } });
    if (positionals.length > 0) throw new CliUsageError("versions takes no arguments");
    return withKv(this.name, io, async (open) => {
      const kv = await open(target);
      const history = await listVersions(kv.store);
      if (history.damagedPointer) {
        line(
          io.stderr,
          `warning: ${history.damagedPointer}; repair it with \`gatehouse rollback [VERSION]\``,
        );
      }
      if (values.json) {
        line(
          io.stdout,
          JSON.stringify({ active: history.active?.id ?? null, versions: history.versions }, null, 2),
        );
        return EXIT_OK;
      }
      if (history.versions.length === 0) {
        line(io.stdout, `no versions published yet in ${kv.description}`);
        return EXIT_OK;
      }
      for (const row of formatVersions(history.versions)) line(io.stdout, row);
      if (history.active && !history.versions.some((v) => v.active)) {
        // Remote KV lists eventually: the pointer can name a version the listing does not show yet.
        line(io.stderr, `warning: the active pointer names ${history.active.id}, which is not listed (yet)`);
      }
      return EXIT_OK;
    });
  },
};
