/** A rule's traffic policy: the table's defaults merged at compile time, lists shared, bad prefixes refused. */
import { describe, expect, it } from "vitest";
import { effectivePolicy } from "../../src/config/effective-policy.ts";
import { type RouteTableInput, RouteTableSchema } from "../../src/config/schema.ts";
import { compileRulePolicies } from "../../src/policy/rule-policy.ts";

const table = (defaults: RouteTableInput["defaults"], rules: RouteTableInput["routes"][number]["rules"]) =>
  RouteTableSchema.parse({ version: 1, defaults, routes: [{ id: "api", rules }] });

describe("effectivePolicy", () => {
  it("replaces rateLimit, clientAddresses and countries whole, and merges requestLimits field by field", () => {
    const t = table(
      {
        rateLimit: [{ requests: 1, period: "10s", key: "clientAddress" }],
        clientAddresses: { allow: ["10.0.0.0/8"], deny: ["10.1.0.0/16"] },
        countries: { deny: ["T1"] },
        requestLimits: { bodyBytes: 10, urlBytes: 20 },
      },
      [{ rateLimit: [], clientAddresses: { deny: ["192.0.2.0/24"] }, requestLimits: { bodyBytes: 5 } }],
    );
    const policy = effectivePolicy(t.defaults, t.routes[0]!.rules[0]!);
    expect(policy.rateLimit).toEqual([]);
    expect(policy.clientAddresses).toEqual({ deny: ["192.0.2.0/24"] });
    expect(policy.countries).toEqual({ deny: ["T1"] });
    expect(policy.requestLimits).toEqual({ bodyBytes: 5, urlBytes: 20 });
  });

  it("is empty without defaults or fields", () => {
    const t = table(undefined, [{}]);
    expect(effectivePolicy(t.defaults, t.routes[0]!.rules[0]!)).toEqual({
      rateLimit: undefined,
      clientAddresses: undefined,
      countries: undefined,
      requestLimits: undefined,
    });
  });
});

describe("compileRulePolicies", () => {
  it("indexes plans by route and rule, one shared empty plan for rules without policy", () => {
    const t = RouteTableSchema.parse({
      version: 1,
      routes: [
        { id: "a", rules: [{}, { requestLimits: { urlBytes: 10 } }] },
        { id: "b", rules: [{}] },
      ],
    });
    const plans = compileRulePolicies(t);
    expect(plans[0]![1]!.requestLimits).toEqual({
      bodyBytes: undefined,
      headerBytes: undefined,
      urlBytes: 10,
    });
    expect(plans[0]![0]).toBe(plans[1]![0]);
    expect(plans[0]![0]!.rateLimits).toBeUndefined();
  });

  it("builds a prefix list inherited from defaults once, for every rule", () => {
    const t = table({ clientAddresses: { allow: ["10.0.0.0/8"] } }, [
      {},
      {},
      { countries: { allow: ["DE"] } },
    ]);
    const [plans] = compileRulePolicies(t);
    expect(plans![0]!.addressRules!.allow).toBe(plans![1]!.addressRules!.allow);
    expect(plans![2]!.addressRules!.allow).toBe(plans![0]!.addressRules!.allow);
    expect(plans![2]!.addressRules!.allowCountries).toEqual(new Set(["DE"]));
  });

  it("refuses a table with a prefix the parser refuses, naming where it is", () => {
    expect(() =>
      compileRulePolicies(table(undefined, [{}, { clientAddresses: { deny: ["10.0.0.1/8"] } }])),
    ).toThrow(
      "routes[0].rules[1].clientAddresses.deny[0]: host bits are set beyond /8: did you mean 10.0.0.0/8?",
    );
    expect(() => compileRulePolicies(table({ clientAddresses: { allow: ["nope"] } }, [{}]))).toThrow(
      'defaults.clientAddresses.allow[0]: "nope" is not an IPv4 or IPv6 address',
    );
  });

  it("counts each rule apart, by route id and rule name or index", () => {
    const t = table({ rateLimit: [{ requests: 1, period: "10s", key: "clientAddress" }] }, [
      { name: "read" },
      {},
    ]);
    const [plans] = compileRulePolicies(t);
    expect(plans![0]!.rateLimits!.beforeAuth[0]!.counterPrefix).toBe("api#read#0");
    expect(plans![1]!.rateLimits!.beforeAuth[0]!.counterPrefix).toBe("api#1#0");
  });
});
