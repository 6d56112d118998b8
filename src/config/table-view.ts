/**
 * The parts of a table that are well-shaped, for the checks beyond shapes.
 *
 * Validation reports every problem at once, so a table with one malformed rule must still have its other
 * rules' references, regexes and shadowing checked. When the whole table parses, the view is the table;
 * otherwise each provider, cluster and rule is parsed on its own and the ones that fail are left out (zod
 * already reported them), while their names still count as defined.
 */
import {
  type Cluster,
  ClusterSchema,
  type Provider,
  ProviderSchema,
  type RouteTable,
  type Rule,
  RuleSchema,
} from "./schema.ts";

export interface RouteView {
  readonly index: number;
  /** Undefined when the id itself is malformed. */
  readonly id: string | undefined;
  /** Undefined when the list itself is malformed (the route then takes part in no host-based check). */
  readonly hostnames: readonly string[] | undefined;
  /** Same indexes as the table's rules; undefined where a rule is malformed. */
  readonly rules: readonly (Rule | undefined)[];
}

export interface TableView {
  /** Every provider name in the table; the value is undefined where the provider is malformed. */
  readonly providers: ReadonlyMap<string, Provider | undefined>;
  readonly clusters: ReadonlyMap<string, Cluster | undefined>;
  readonly routes: readonly RouteView[];
}

export function viewOfTable(table: RouteTable): TableView {
  return {
    providers: new Map(Object.entries(table.providers)),
    clusters: new Map(Object.entries(table.clusters)),
    routes: table.routes.map((route, index) => ({
      index,
      id: route.id,
      hostnames: route.hostnames ?? [],
      rules: route.rules,
    })),
  };
}

/** Best effort over input that failed the schema somewhere. */
export function salvageView(input: unknown): TableView {
  if (!isRecord(input)) return { providers: new Map(), clusters: new Map(), routes: [] };
  return {
    providers: salvageRecord(input.providers, (value) => ProviderSchema.safeParse(value).data),
    clusters: salvageRecord(input.clusters, (value) => ClusterSchema.safeParse(value).data),
    routes: Array.isArray(input.routes) ? input.routes.map(salvageRoute) : [],
  };
}

function salvageRecord<T>(
  raw: unknown,
  parse: (value: unknown) => T | undefined,
): Map<string, T | undefined> {
  const out = new Map<string, T | undefined>();
  if (!isRecord(raw)) return out;
  for (const [name, value] of Object.entries(raw)) out.set(name, parse(value));
  return out;
}

function salvageRoute(raw: unknown, index: number): RouteView {
  if (!isRecord(raw)) return { index, id: undefined, hostnames: undefined, rules: [] };
  const hostnames =
    raw.hostnames === undefined
      ? []
      : Array.isArray(raw.hostnames) && raw.hostnames.every((h) => typeof h === "string")
        ? (raw.hostnames as string[])
        : undefined;
  return {
    index,
    id: typeof raw.id === "string" ? raw.id : undefined,
    hostnames,
    rules: Array.isArray(raw.rules) ? raw.rules.map((rule) => RuleSchema.safeParse(rule).data) : [],
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
