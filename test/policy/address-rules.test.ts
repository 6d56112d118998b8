/** The order of the address and country lists (deny beats allow; no allow list admits everyone else). */
import { describe, expect, it } from "vitest";
import { addressAdmitted, compileAddressRules, countryAdmitted } from "../../src/policy/address-rules.ts";

describe("addressAdmitted", () => {
  const plan = compileAddressRules(
    { allow: ["10.0.0.0/8", "2001:db8::/32"], deny: ["10.1.0.0/16"] },
    undefined,
    "r",
  )!;

  it("admits an address inside allow and outside deny", () => {
    expect(addressAdmitted(plan, "10.2.0.1")).toBe(true);
    expect(addressAdmitted(plan, "2001:db8::1")).toBe(true);
  });

  it("refuses an address in deny even when allow covers it", () => {
    expect(addressAdmitted(plan, "10.1.0.1")).toBe(false);
  });

  it("refuses an address outside a non-empty allow list, and anything that is not an address", () => {
    expect(addressAdmitted(plan, "192.0.2.1")).toBe(false);
    expect(addressAdmitted(plan, "")).toBe(false);
    expect(addressAdmitted(plan, "10.0.0.1, 192.0.2.1")).toBe(false);
  });

  it("admits everyone not denied when there is no allow list (absent or empty)", () => {
    for (const allow of [undefined, []]) {
      const denyOnly = compileAddressRules({ allow, deny: ["10.1.0.0/16"] }, undefined, "r")!;
      expect(addressAdmitted(denyOnly, "192.0.2.1")).toBe(true);
      expect(addressAdmitted(denyOnly, "")).toBe(true);
      expect(addressAdmitted(denyOnly, "10.1.2.3")).toBe(false);
    }
  });

  it("compiles to nothing when no list says anything", () => {
    expect(compileAddressRules({ allow: [], deny: [] }, undefined, "r")).toBeUndefined();
    expect(compileAddressRules(undefined, undefined, "r")).toBeUndefined();
  });
});

describe("countryAdmitted", () => {
  it("admits only the allowed countries; a missing country is in no list", () => {
    const plan = compileAddressRules(undefined, { allow: ["DE", "FR"] }, "r")!;
    expect(countryAdmitted(plan, "DE")).toBe(true);
    expect(countryAdmitted(plan, "US")).toBe(false);
    expect(countryAdmitted(plan, "")).toBe(false);
  });

  it("refuses the denied countries and admits the rest", () => {
    const plan = compileAddressRules(undefined, { deny: ["T1"] }, "r")!;
    expect(countryAdmitted(plan, "T1")).toBe(false);
    expect(countryAdmitted(plan, "DE")).toBe(true);
    expect(countryAdmitted(plan, "")).toBe(true);
  });
});
