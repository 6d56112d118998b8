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
import { KV_TARGET_USAGE, publisherIdentity } from "../kv-target.ts";
import { line, parseStoreArgs, withKv } from "../store-command.ts";

export const rollbackCommand: Command = {
  name: "rollback",
  summary: "make an earlier version active again (default: the previous one)",
  usage: `gatehouse rollback [VERSION] ${KV_TARGET_USAGE}`,
  async run(args, io) {
    const { positionals, target } = parseStoreArgs(args);
    if (positionals.length > 1) throw new CliUsageError("expected at most one VERSION");
    return withKv(this.name, io, async (open) => {
      const kv = await open(target);
      const activatedBy = publisherIdentity();
      const outcome = await rollbackTo(kv.store, positionals[0], activatedBy ? { activatedBy } : {});
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
