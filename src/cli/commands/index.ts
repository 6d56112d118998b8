/**
 * Every `gatehouse` command, in the order `gatehouse --help` lists them. To add one: a file in this
 * folder exporting a `Command` (see ../command.ts), and its line below. Commands with heavy
 * dependencies (Miniflare, wrangler) should import them inside `run`, so `validate` stays quick.
 */
import type { Command } from "../command.ts";
import { controllerCommand } from "./controller.ts";
import { diffCommand } from "./diff.ts";
import { explainCommand } from "./explain.ts";
import { importCommand } from "./import.ts";
import { pushCommand } from "./push.ts";
import { rollbackCommand } from "./rollback.ts";
import { validateCommand } from "./validate.ts";
import { versionsCommand } from "./versions.ts";

export const COMMANDS: readonly Command[] = [
  validateCommand,
  explainCommand,
  pushCommand,
  versionsCommand,
  rollbackCommand,
  diffCommand,
  importCommand,
  controllerCommand,
];
