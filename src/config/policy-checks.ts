/**
 * The meaning of the traffic-policy fields (`rateLimit`, `clientAddresses`, `countries`), under
 * `defaults` and on every rule, beyond their shapes:
 *
 * - every prefix parses strictly (no octal, short or zoned forms; host bits set are refused with the
 *   network meant), with the reasons the Worker's parser gives;
 * - `countries` names one list, `allow` or `deny`;
 * - a limit on the Rate Limiting binding counts over a period it has (10s, 60s) and at most
 *   BINDING_MAX_REQUESTS exactly; one on the Durable Object backend over whole seconds up to a day;
 * - a limit keyed by a claim is on a rule with `auth` (without, no request has claims, and every one
 *   would share one bucket), also when the rule inherits it from `defaults`.
 *
 * These are not zod refinements because the Worker's stored-table check is the zod schema's JSON
 * Schema, which cannot carry them; the Worker refuses a version whose prefixes or binding periods do
 * not compile (`policy/rule-policy.ts`).
 */
import { parsePrefix } from "../policy/ip-address.ts";
import { BINDING_MAX_REQUESTS, BINDING_PERIODS_SECONDS, DURATION_PATTERN } from "./constants.ts";
import { parseDuration } from "./duration.ts";
import { type FieldPath, type ProblemReport, quote } from "./problems.ts";
import type { RateLimit, Rule, TrafficPolicy } from "./schema.ts";
import type { Salvaged, TableView } from "./table-view.ts";

const DURABLE_OBJECT_MAX_PERIOD_MS = 86_400_000;

export function checkTrafficPolicy(view: TableView, report: ProblemReport): void {
  if (view.defaults) checkPolicyFields(view.defaults, ["defaults"], report);
  for (const route of view.routes) {
    route.rules.forEach((rule, i) => {
      if (!rule) return;
      const path: FieldPath = ["routes", route.index, "rules", i];
      checkPolicyFields(rule, path, report);
      checkClaimKeys(rule, view, path, report);
    });
  }
}

function checkPolicyFields(policy: Salvaged<TrafficPolicy>, path: FieldPath, report: ProblemReport): void {
  for (const list of ["allow", "deny"] as const) {
    policy.clientAddresses?.[list]?.forEach((text, i) => {
      if (text === undefined) return;
      const parsed = parsePrefix(text);
      if (!parsed.ok) report.error([...path, "clientAddresses", list, i], parsed.reason);
    });
  }
  if (policy.countries && (policy.countries.allow === undefined) === (policy.countries.deny === undefined)) {
    report.error([...path, "countries"], "give either allow or deny (one list of countries)");
  }
  policy.rateLimit?.forEach((limit, i) => {
    if (limit) checkBackendCanCount(limit, [...path, "rateLimit", i], report);
  });
}

function checkBackendCanCount(limit: Salvaged<RateLimit>, path: FieldPath, report: ProblemReport): void {
  if (!DURATION_PATTERN.test(limit.period)) return;
  const periodMs = parseDuration(limit.period);
  if (limit.backend === "RateLimitingBinding") {
    if (!BINDING_PERIODS_SECONDS.some((seconds) => seconds * 1000 === periodMs)) {
      report.error(
        [...path, "period"],
        "the Rate Limiting binding counts over 10s or 60s only: use one of those, or backend: DurableObject",
      );
    }
    if (limit.requests > BINDING_MAX_REQUESTS) {
      report.error(
        [...path, "requests"],
        `the Rate Limiting binding counts at most ${BINDING_MAX_REQUESTS} requests per period exactly: use backend: DurableObject`,
      );
    }
  } else if (periodMs < 1000 || periodMs > DURABLE_OBJECT_MAX_PERIOD_MS || periodMs % 1000 !== 0) {
    report.error([...path, "period"], "must be whole seconds from 1s to 24h");
  }
}

function checkClaimKeys(rule: Salvaged<Rule>, view: TableView, path: FieldPath, report: ProblemReport): void {
  if (rule.auth) return;
  const own = rule.rateLimit !== undefined;
  const limits = own ? rule.rateLimit : view.defaults?.rateLimit;
  limits?.forEach((limit, i) => {
    if (!limit) return;
    const parts = Array.isArray(limit.key) ? limit.key : [limit.key];
    const claim = parts.find(
      (part): part is { claim: string } => typeof part === "object" && part !== null && "claim" in part,
    );
    if (!claim) return;
    const reason = `is keyed by the claim ${quote(claim.claim)}, but the rule has no auth: add auth, or key it otherwise`;
    if (own) report.error([...path, "rateLimit", i, "key"], reason);
    else report.error(path, `inherits defaults.rateLimit[${i}], which ${reason}`);
  });
}
