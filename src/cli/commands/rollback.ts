/**
 * `gatehouse rollback [VERSION] [--local | --remote] [--env NAME] [--persist-to DIR]`
 *
 * Moves the active pointer to an existing version and writes nothing else. Without VERSION: the
 * most recently active version older than the one in force that loads, so repeated rollbacks keep
 * stepping back. VERSION is a full id, a version number, or a hash prefix (at least 6 hex digits).
 * Also the repair for a damaged pointer, or one naming a missing or broken version: what was wrong is
 * printed as a warning, and the pointer is rewritten.
 */
import { rollbackTo } from "../../store/publish.ts";
import { CliUsageError, type Command, EXIT_OK } from "../command.ts";
import { KV_TARGET_HELP, KV_TARGET_USAGE, publisherIdentity } from "../kv-target.ts";
import { line, parseStoreArgs, withKv } from "../store-command.ts";

export const rollbackCommand: Command = {
  name: "rollback",
  summary: "make an earlier version active again (default: the previous one)",
  usage: `gatehouse rollback [VERSION] ${KV_TARGET_USAGE} [--json]`,
  help: `Moves the active pointer to an existing version and writes nothing else.

  VERSION                 a full id, a version number, or a hash prefix of at least 6 hex digits;
                          without it, the version that was active before the current one and
                          loads (so repeated rollbacks keep stepping back); also repairs a damaged
                          pointer
  --json                  one JSON object on stdout: {"outcome": "rolled-back", "active", "previous",
                          "skipped", and "damagedPointer"/"activeUnusable" when the pointer was
                          repaired} or {"outcome": "unchanged", "active"}
  -h, --help              this text

${KV_TARGET_HELP}`,
  async run(args, io) {
    const { positionals, values, target } = parseStoreArgs(args, { json: { type: "boolean" } });
    if (positionals.length > 1) throw new CliUsageError("expected at most one VERSION");
    return withKv(this.name, io, async (open) => {
      const kv = await open(target);
      const activatedBy = publisherIdentity();
      const outcome = await rollbackTo(kv.store, positionals[0], activatedBy ? { activatedBy } : {});
      if (values.json) {
        const result =
          outcome.kind === "already-active"
            ? { outcome: "unchanged", active: outcome.target.id }
            : {
                outcome: "rolled-back",
                active: outcome.target.id,
                // null when the pointer was damaged or missing: nothing usable was active.
                previous: outcome.previous?.id ?? null,
                ...(outcome.replacedDamagedPointer ? { damagedPointer: outcome.replacedDamagedPointer } : {}),
                ...(outcome.activeUnusable ? { activeUnusable: outcome.activeUnusable } : {}),
                skipped: outcome.skipped,
              };
        line(io.stdout, JSON.stringify(result));
        return EXIT_OK;
      }
      if (outcome.kind === "already-active") {
        line(io.stdout, `unchanged: ${outcome.target.id} is already active; nothing was written`);
        return EXIT_OK;
      }
      if (outcome.replacedDamagedPointer) {
        line(io.stderr, `warning: ${outcome.replacedDamagedPointer}; this rollback replaced it`);
      }
      if (outcome.activeUnusable) {
        line(io.stderr, `warning: the active version cannot be served: ${outcome.activeUnusable}`);
      }
      for (const skipped of outcome.skipped) line(io.stderr, `skipped: ${skipped.reason}`);
      const was = outcome.previous
        ? `was ${outcome.previous.id}${outcome.activeUnusable ? ", which cannot be served" : ""}`
        : outcome.replacedDamagedPointer
          ? "the pointer was damaged"
          : "no version was active";
      line(io.stdout, `rolled back: active is now ${outcome.target.id} (${was})`);
      return EXIT_OK;
    });
  },
};
