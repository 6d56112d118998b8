/**
 * Names and what refers to them: route ids and rule names are unique; every cluster a rule sends or
 * mirrors to, and every provider a rule authenticates with, exists; a rule's audiences only narrow its
 * provider's.
 */
import { type FieldPath, type ProblemReport, quote } from "./problems.ts";
import { closest } from "./suggest.ts";
import type { TableView } from "./table-view.ts";

export function checkNamesAndReferences(view: TableView, report: ProblemReport): void {
  const firstRouteWithId = new Map<string, number>();
  for (const route of view.routes) {
    const routePath: FieldPath = ["routes", route.index];
    if (route.id !== undefined) {
      const first = firstRouteWithId.get(route.id);
      if (first === undefined) firstRouteWithId.set(route.id, route.index);
      else
        report.error(
          [...routePath, "id"],
          `duplicate route id ${quote(route.id)} (first used by routes[${first}])`,
        );
    }

    const firstRuleWithName = new Map<string, number>();
    route.rules.forEach((rule, ruleIndex) => {
      if (!rule) return;
      const rulePath: FieldPath = [...routePath, "rules", ruleIndex];
      if (rule.name !== undefined) {
        const first = firstRuleWithName.get(rule.name);
        if (first === undefined) firstRuleWithName.set(rule.name, ruleIndex);
        else
          report.error(
            [...rulePath, "name"],
            `duplicate rule name ${quote(rule.name)} (first used by rules[${first}])`,
          );
      }

      rule.backendRefs?.forEach((ref, i) => {
        if (ref && !view.clusters.has(ref.name)) {
          report.error([...rulePath, "backendRefs", i, "name"], noSuch("cluster", ref.name, view.clusters));
        }
      });
      rule.filters?.forEach((filter, i) => {
        if (filter?.type !== "RequestMirror") return;
        const name = filter.requestMirror.backendRef.name;
        if (!view.clusters.has(name)) {
          report.error(
            [...rulePath, "filters", i, "requestMirror", "backendRef", "name"],
            noSuch("cluster", name, view.clusters),
          );
        }
      });

      const auth = rule.auth;
      if (!auth) return;
      if (!view.providers.has(auth.provider)) {
        report.error([...rulePath, "auth", "provider"], noSuch("provider", auth.provider, view.providers));
        return;
      }
      const accepted = view.providers.get(auth.provider)?.audiences;
      if (!accepted || accepted.length === 0 || view.incomplete(accepted)) return;
      auth.audiences?.forEach((audience, i) => {
        if (audience !== undefined && !accepted.includes(audience)) {
          report.error(
            [...rulePath, "auth", "audiences", i],
            `${quote(audience)} is not an audience of provider ${quote(auth.provider)} ` +
              `(${accepted.map((a) => quote(a ?? "")).join(", ")}): a rule's audiences can only narrow its provider's`,
          );
        }
      });
    });
  }
}

/** `no cluster "ordrs" (did you mean "orders"?)`: the suggestion as for a mistyped field name. */
function noSuch(kind: string, name: string, known: { keys(): Iterable<string> }): string {
  const suggestion = closest(name, [...known.keys()]);
  return `no ${kind} ${quote(name)}${suggestion ? ` (did you mean ${quote(suggestion)}?)` : ""}`;
}
