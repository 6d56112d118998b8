/**
 * The parts of a table that are well-shaped, as the checks beyond shapes see them. For a table that
 * passed the schema the view is the table itself (`viewOfTable`, zod-free, so the Worker's stored-table
 * check shares it); for one that did not, `salvage.ts` rebuilds what it can.
 */
import type { Cluster, Provider, RouteTable, Rule, TrafficPolicy } from "./schema.ts";

/** `T` as salvage returns it: list items may be holes. */
export type Salvaged<T> = T extends readonly (infer E)[]
  ? readonly (Salvaged<E> | undefined)[]
  : T extends object
    ? { readonly [K in keyof T]: Salvaged<T[K]> }
    : T;

export interface RouteView {
  readonly index: number;
  /** Undefined when the id itself is malformed. */
  readonly id: string | undefined;
  /** Omitted hostnames are `[]`. */
  readonly hostnames: readonly (string | undefined)[];
  /** False when the list was malformed somewhere: host-based conclusions are then not drawn. */
  readonly hostnamesComplete: boolean;
  /** Same indexes as the table's rules; undefined where a rule is malformed beyond salvage. */
  readonly rules: readonly (Salvaged<Rule> | undefined)[];
}

export interface TableView {
  /** Every provider name in the table; the value is undefined where the provider could not be salvaged. */
  readonly providers: ReadonlyMap<string, Salvaged<Provider> | undefined>;
  readonly clusters: ReadonlyMap<string, Salvaged<Cluster> | undefined>;
  readonly routes: readonly RouteView[];
  /** The table's `defaults` (traffic policy every rule inherits); undefined when absent or malformed. */
  readonly defaults: Salvaged<TrafficPolicy> | undefined;
  /** True for a part rebuilt around shape problems: absence there proves nothing. */
  incomplete(part: object): boolean;
}

export function viewOfTable(table: RouteTable): TableView {
  return {
    providers: new Map(Object.entries(table.providers)),
    clusters: new Map(Object.entries(table.clusters)),
    routes: table.routes.map((route, index) => ({
      index,
      id: route.id,
      hostnames: route.hostnames ?? [],
      hostnamesComplete: true,
      rules: route.rules,
    })),
    defaults: table.defaults,
    incomplete: () => false,
  };
}
