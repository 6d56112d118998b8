/**
 * A rule's traffic policy, compiled once per table: the table's `defaults` merged with the rule's own
 * fields here, never per request. A rule's `rateLimit`, `clientAddresses` and `countries` replace the
 * defaults' whole (`rateLimit: []` turns the default limits off for that rule); `requestLimits` is
 * merged field by field (a rule that sets only `bodyBytes` keeps the default `headerBytes`).
 */
import { effectivePolicy } from "../config/effective-policy.ts";
import type { RouteTable } from "../config/schema.ts";
import { type AddressRulesPlan, compileAddressRules, compilePrefixSet } from "./address-rules.ts";
import type { CidrSet } from "./cidr-set.ts";
import { compileRateLimits, type RateLimitPlan } from "./rate-limit.ts";
import { compileRequestLimits, type RequestLimitsPlan } from "./request-limits.ts";

export interface RulePolicyPlan {
  readonly addressRules: AddressRulesPlan | undefined;
  readonly requestLimits: RequestLimitsPlan | undefined;
  readonly rateLimits: RateLimitPlan | undefined;
}

const NO_POLICY: RulePolicyPlan = {
  addressRules: undefined,
  requestLimits: undefined,
  rateLimits: undefined,
};

/** One plan per rule, indexed `[routeIndex][ruleIndex]` as the routing core numbers them. */
export function compileRulePolicies(table: RouteTable): readonly (readonly RulePolicyPlan[])[] {
  // A list inherited from `defaults` is the same array on every rule: built into a set once, shared.
  const sets = new Map<readonly string[], CidrSet | undefined>();
  const prefixSet = (list: readonly string[] | undefined, at: string): CidrSet | undefined => {
    if (!list) return undefined;
    if (!sets.has(list)) sets.set(list, compilePrefixSet(list, at));
    return sets.get(list);
  };
  return table.routes.map((route, routeIndex) =>
    route.rules.map((rule, ruleIndex) => {
      const policy = effectivePolicy(table.defaults, rule);
      const at = rule.clientAddresses ? `routes[${routeIndex}].rules[${ruleIndex}]` : "defaults";
      const plan: RulePolicyPlan = {
        addressRules: compileAddressRules(policy.clientAddresses, policy.countries, at, prefixSet),
        requestLimits: compileRequestLimits(policy.requestLimits),
        rateLimits: compileRateLimits(policy.rateLimit, `${route.id}#${rule.name ?? ruleIndex}`),
      };
      return plan.addressRules || plan.requestLimits || plan.rateLimits ? plan : NO_POLICY;
    }),
  );
}
