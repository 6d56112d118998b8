/**
 * Address rules: `clientAddresses` (IPv4/IPv6 prefixes) and `countries`, the first stage after TLS.
 *
 * The client is `CF-Connecting-IP`, the address Cloudflare's edge accepted the connection from. It is
 * never read from `X-Forwarded-For` or `X-Real-IP`: a client writes those itself.
 *
 * The order, for both lists (docs/traffic-policy.md#address-rules):
 *   1. an address in `deny` is refused, whatever `allow` says (deny beats allow);
 *   2. else, with a non-empty `allow`, an address outside it is refused;
 *   3. else it passes (an absent or empty `allow` lets in everyone not denied).
 * A request with no readable client address matches no prefix: refused where an allow list is given.
 * Countries follow the same order on `request.cf.country` (absent: in no list).
 */
import type { ClientAddresses, Countries } from "../config/schema.ts";
import { errorResponse } from "../gateway/errors.ts";
import { CidrSet } from "./cidr-set.ts";
import { parsePrefix } from "./ip-address.ts";

export interface AddressRulesPlan {
  /** Undefined: no allow list (everyone not denied passes). */
  readonly allow: CidrSet | undefined;
  readonly deny: CidrSet | undefined;
  readonly allowCountries: ReadonlySet<string> | undefined;
  readonly denyCountries: ReadonlySet<string> | undefined;
}

/**
 * Compiles both lists once per table. `at` names the field in errors: a stored table's prefixes passed
 * `gatehouse validate`, so a bad one here means the record was written by hand, and the version is refused.
 */
export function compileAddressRules(
  addresses: ClientAddresses | undefined,
  countries: Countries | undefined,
  at: string,
  prefixSet: PrefixSetCompiler = compilePrefixSet,
): AddressRulesPlan | undefined {
  const allow = prefixSet(addresses?.allow, `${at}.clientAddresses.allow`);
  const deny = prefixSet(addresses?.deny, `${at}.clientAddresses.deny`);
  const allowCountries = countries?.allow?.length ? new Set(countries.allow) : undefined;
  const denyCountries = countries?.deny?.length ? new Set(countries.deny) : undefined;
  if (!allow && !deny && !allowCountries && !denyCountries) return undefined;
  return { allow, deny, allowCountries, denyCountries };
}

export type PrefixSetCompiler = (list: readonly string[] | undefined, at: string) => CidrSet | undefined;

/** One list into one set; undefined for an absent or empty list. Throws `at[i]: reason` on a bad prefix. */
export function compilePrefixSet(list: readonly string[] | undefined, at: string): CidrSet | undefined {
  if (!list || list.length === 0) return undefined;
  const prefixes = list.map((text, i) => {
    const parsed = parsePrefix(text);
    if (!parsed.ok) throw new Error(`${at}[${i}]: ${parsed.reason}`);
    return parsed.prefix;
  });
  return new CidrSet(prefixes);
}

/** A 403 when the client's address or country is refused; undefined to go on. */
export function checkAddressRules(
  plan: AddressRulesPlan,
  request: Request,
  requestId: string,
): Response | undefined {
  if (plan.allow || plan.deny) {
    const address = request.headers.get("cf-connecting-ip") ?? "";
    if (!addressAdmitted(plan, address)) {
      return errorResponse(
        403,
        "address_denied",
        "the client address is not allowed on this route",
        requestId,
      );
    }
  }
  if (plan.allowCountries || plan.denyCountries) {
    const country = (request.cf?.country as string | undefined) ?? "";
    if (!countryAdmitted(plan, country)) {
      return errorResponse(
        403,
        "country_denied",
        "requests from this country are not allowed on this route",
        requestId,
      );
    }
  }
  return undefined;
}

/** Deny beats allow; an absent allow list admits everyone not denied. */
export function addressAdmitted(plan: AddressRulesPlan, address: string): boolean {
  if (plan.deny?.has(address)) return false;
  return plan.allow ? plan.allow.has(address) : true;
}

export function countryAdmitted(plan: AddressRulesPlan, country: string): boolean {
  if (plan.denyCountries?.has(country)) return false;
  return plan.allowCountries ? plan.allowCountries.has(country) : true;
}
