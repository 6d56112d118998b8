/**
 * A rule's traffic policy as the gateway enforces it: the table's `defaults` with the rule's own fields
 * over them. A rule's `rateLimit`, `clientAddresses` and `countries` replace the defaults' whole
 * (`rateLimit: []` turns the default limits off for that rule); `requestLimits` is merged field by field
 * (a rule that sets only `bodyBytes` keeps the default `headerBytes`). One definition for the policy
 * stages (src/policy), the routing core's protection key and `explain`.
 */
import type { Rule, TrafficPolicy } from "./schema.ts";

/** The effective policy fields of a rule: its own over the table's defaults. */
export function effectivePolicy(defaults: TrafficPolicy | undefined, rule: Rule): TrafficPolicy {
  const requestLimits =
    defaults?.requestLimits || rule.requestLimits
      ? { ...defaults?.requestLimits, ...rule.requestLimits }
      : undefined;
  return {
    rateLimit: rule.rateLimit ?? defaults?.rateLimit,
    clientAddresses: rule.clientAddresses ?? defaults?.clientAddresses,
    countries: rule.countries ?? defaults?.countries,
    requestLimits,
  };
}
