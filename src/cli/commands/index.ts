/**
 * Every `gatehouse` command, in the order `gatehouse --help` lists them. To add one: a file in this
 * folder exporting a `Command` (see ../command.ts), and its line below. Commands with heavy
 * dependencies (Miniflare, wrangler) should import them inside `run`, so `validate` stays quick.
 */
import type { Command } from "../command.ts";
import { explainCommand } from "./explain.ts";
import { validateCommand } from "./validate.ts";

export const COMMANDS: readonly Command[] = [validateCommand, explainCommand];
