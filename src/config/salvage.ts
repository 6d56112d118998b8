/**
 * Salvage: the well-shaped parts of a table that failed the schema, for the checks beyond shapes.
 *
 * Validation reports every problem at once, so a rule with one malformed header must still have its
 * regexes, references and filters checked. When the whole table parses, the view is the table. When it
 * does not, the input is salvaged part by part with the same schemas:
 *
 * - a list keeps its well-shaped items, and a malformed item becomes a hole (`undefined`) at its index,
 *   so every path the checks report still points at the right place;
 * - a mapping keeps its well-shaped fields; a malformed optional field is left out (or takes its default),
 *   a malformed required one makes the whole mapping a hole. The table and its routes are never holes:
 *   a route with a malformed id still has its rules checked.
 *
 * Every mapping or list rebuilt this way is *incomplete*: something in it was dropped, so a check must not
 * conclude anything from what is absent there (no "has no backendRefs" warning for a rule whose
 * backendRefs were malformed). Zod has already reported whatever was dropped.
 */
import type { z } from "zod";
import { RouteSchema, type RouteTable, RouteTableSchema } from "./schema.ts";
import type { RouteView, Salvaged, TableView } from "./table-view.ts";
import { def, resolve } from "./zod-walk.ts";

/** Best effort over input that failed the schema somewhere. */
export function salvageView(input: unknown): TableView {
  const rebuilt = new WeakSet<object>();
  const root = salvage(RouteTableSchema, input, rebuilt);
  const table = (root === HOLE ? {} : root) as Partial<Salvaged<RouteTable>>;
  const routes = (table.routes ?? []).flatMap((route, index): RouteView[] => {
    if (!route) return [];
    const hostnames = route.hostnames ?? [];
    return [
      {
        index,
        id: route.id,
        hostnames,
        hostnamesComplete: !rebuilt.has(hostnames),
        rules: route.rules ?? [],
      },
    ];
  });
  return {
    providers: new Map(Object.entries(table.providers ?? {})),
    clusters: new Map(Object.entries(table.clusters ?? {})),
    routes,
    defaults: table.defaults,
    incomplete: (part) => rebuilt.has(part),
  };
}

// ---------------------------------------------------------------------------------------------------

const HOLE = Symbol("hole");

/** Mappings that are never holes: a malformed required field is left out instead. */
const NEVER_HOLES: ReadonlySet<z.ZodType> = new Set<z.ZodType>([RouteTableSchema, RouteSchema]);

/** The well-shaped part of `input` under `schema`, or HOLE. Rebuilt containers are added to `rebuilt`. */
function salvage(schema: z.ZodType, input: unknown, rebuilt: WeakSet<object>): unknown {
  const direct = schema.safeParse(input);
  if (direct.success) return direct.data;
  const target = resolve(schema, input);
  if (!target) return HOLE;
  const d = def(target);

  if (d.type === "array" && Array.isArray(input)) {
    const items = input.map((item) => {
      const value = salvage(d.element!, item, rebuilt);
      return value === HOLE ? undefined : value;
    });
    rebuilt.add(items);
    return items;
  }
  if (d.type === "record" && isRecord(input)) {
    const entries: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(input)) {
      const salvaged = salvage(d.valueType!, value, rebuilt);
      entries[key] = salvaged === HOLE ? undefined : salvaged;
    }
    rebuilt.add(entries);
    return entries;
  }
  if (d.type === "object" && isRecord(input)) {
    const fields: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(d.shape ?? {})) {
      const parsed = field.safeParse(input[key]);
      if (parsed.success) {
        if (parsed.data !== undefined) fields[key] = parsed.data;
        continue;
      }
      const salvaged = salvage(field, input[key], rebuilt);
      if (salvaged !== HOLE) {
        fields[key] = salvaged;
        continue;
      }
      const absent = field.safeParse(undefined);
      if (absent.success) {
        if (absent.data !== undefined) fields[key] = absent.data;
      } else if (!NEVER_HOLES.has(target)) {
        return HOLE;
      }
    }
    rebuilt.add(fields);
    return fields;
  }
  return HOLE;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
