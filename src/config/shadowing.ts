/**
 * Rules that can never win. Candidates are ordered by the route's matching hostname, then by match
 * precedence (path kind and length, method, header and query counts), then by listing order. Two matches
 * identical in every key (path type and value, method, headers, query parameters) tie on precedence, so
 * the one listed later gets a request only if its route matches that request's host *better*. It never
 * does when the earlier rule's route lists every hostname the later one lists (or both list none): for
 * any host, the earlier route's best hostname is then at least as specific.
 *
 * Only identical matches are reported, never "covered in practice" (a regex that happens to include a
 * prefix): warnings must be certain to be worth reading.
 */
import { formatPath, type ProblemReport } from "./problems.ts";
import type { Match } from "./schema.ts";
import type { Salvaged, TableView } from "./table-view.ts";

interface Entry {
  readonly route: number;
  readonly rule: number;
  readonly match: number;
  /** Lower-cased; empty = every host. */
  readonly hostnames: ReadonlySet<string>;
}

export function checkShadowedRules(view: TableView, report: ProblemReport): void {
  /** Match key + one hostname (empty for routes without hostnames) → entries in listing order. */
  const byKey = new Map<string, Entry[]>();
  /** `route/rule` → for each of the rule's matches, the earlier rule that takes it (if any). */
  const shadowedBy = new Map<string, (string | undefined)[]>();

  for (const route of view.routes) {
    // Only what is known in full can be said never to win (or to take another's requests).
    if (!route.hostnamesComplete) continue;
    const hostnames = new Set(route.hostnames.map((h) => (h ?? "").toLowerCase()));
    route.rules.forEach((rule, ruleIndex) => {
      if (!rule || view.incomplete(rule)) return;
      const matches: readonly (Salvaged<Match> | undefined)[] = rule.matches?.length
        ? rule.matches
        : [undefined];
      const verdicts: (string | undefined)[] = [];
      matches.forEach((match, matchIndex) => {
        const entry: Entry = { route: route.index, rule: ruleIndex, match: matchIndex, hostnames };
        const key = matchKey(match);
        // An earlier entry can only cover this one if it lists this one's (first) hostname too, so each
        // entry is filed under every hostname it lists and looked up under one: tables with thousands of
        // hosts sharing `PathPrefix /` stay linear.
        const probe = `${key}\u0001${hostnames.values().next().value ?? ""}`;
        const winner = byKey
          .get(probe)
          ?.find(
            (other) =>
              (other.route !== entry.route || other.rule !== entry.rule) && coversHosts(other, entry),
          );
        verdicts.push(winner && formatPath(["routes", winner.route, "rules", winner.rule]));
        for (const hostname of hostnames.size > 0 ? hostnames : [""]) {
          const bucket = `${key}\u0001${hostname}`;
          const list = byKey.get(bucket);
          if (list) list.push(entry);
          else byKey.set(bucket, [entry]);
        }
      });
      shadowedBy.set(`${route.index}/${ruleIndex}`, verdicts);
    });
  }

  for (const [at, verdicts] of shadowedBy) {
    const [route, rule] = at.split("/").map(Number) as [number, number];
    const rulePath = ["routes", route, "rules", rule];
    if (verdicts.every((winner) => winner !== undefined)) {
      const winners = [...new Set(verdicts)];
      report.warn(
        rulePath,
        `can never win: ${winners.join(" and ")} ${winners.length > 1 ? "match" : "matches"} the same requests and ${winners.length > 1 ? "come" : "comes"} first`,
      );
    } else {
      verdicts.forEach((winner, match) => {
        if (winner)
          report.warn(
            [...rulePath, "matches", match],
            `never applies: ${winner} matches the same requests and comes first`,
          );
      });
    }
  }
}

/** `earlier` wins every host `later` matches, on hostname specificity or on listing order. */
function coversHosts(earlier: Entry, later: Entry): boolean {
  if (later.hostnames.size === 0) return earlier.hostnames.size === 0;
  for (const hostname of later.hostnames) if (!earlier.hostnames.has(hostname)) return false;
  return true;
}

/** Everything precedence and matching look at, in a canonical form. */
function matchKey(match: Salvaged<Match> | undefined): string {
  const type = match?.path?.type ?? "PathPrefix";
  let value = match?.path?.value ?? "/";
  // A trailing slash in a prefix is ignored (`/abc/` is `/abc`).
  if (type === "PathPrefix" && value.length > 1) value = value.replace(/\/+$/, "") || "/";
  const headers = (match?.headers ?? [])
    .map((h) => [h!.name.toLowerCase(), h!.type, h!.value])
    .sort((a, b) => compare(a.join("\0"), b.join("\0")));
  const query = (match?.queryParams ?? [])
    .map((q) => [q!.name, q!.type, q!.value])
    .sort((a, b) => compare(a.join("\0"), b.join("\0")));
  return JSON.stringify([type, value, match?.method ?? "", headers, query]);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
