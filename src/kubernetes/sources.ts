/**
 * Where each part of a translated route came from, so that a problem the table's validation finds in
 * `routes[3].rules[0].filters[1].urlRewrite.hostname` is reported on the object and field that wrote it
 * (`HTTPRoute shop/web: spec.rules[0].filters[2].urlRewrite.hostname`), a policy's value on the policy.
 */
import type { z } from "zod";
import type { RouteSchema } from "../config/schema.ts";
import type { ObjectRef } from "./objects.ts";

export type RouteInput = z.input<typeof RouteSchema>;
export type RuleInput = RouteInput["rules"][number];

/** A part of the route (`rules[0].filters[1]`, relative to the route; `""` the whole route) and its origin. */
export interface FieldSource {
  readonly prefix: string;
  readonly object: ObjectRef;
  readonly field: string;
}

/** A route with its origins; `refused` is told when validation keeps it out of the table. */
export interface SourcedRoute {
  readonly route: RouteInput;
  readonly object: ObjectRef;
  readonly sources: FieldSource[];
  /** For status: the route is not in the table, for these reasons. */
  refused?: string[];
}

/**
 * The origin of `path` (relative to the route): the longest prefix that covers it, with the rest of
 * the path appended to the origin's field.
 */
export function originOf(
  sources: readonly FieldSource[],
  path: string,
): { object: ObjectRef; field: string } | undefined {
  let best: FieldSource | undefined;
  for (const source of sources) {
    const covers =
      source.prefix === "" ||
      path === source.prefix ||
      path.startsWith(`${source.prefix}.`) ||
      path.startsWith(`${source.prefix}[`);
    if (covers && (best === undefined || source.prefix.length > best.prefix.length)) best = source;
  }
  if (!best) return undefined;
  const rest = path.slice(best.prefix.length);
  const field =
    best.field && rest && !rest.startsWith("[") && !rest.startsWith(".")
      ? `${best.field}.${rest}`
      : `${best.field}${rest}`;
  return { object: best.object, field: field.startsWith(".") ? field.slice(1) : field };
}
