/** "Did you mean": the near miss a typo most likely meant. */
import { describe, expect, it } from "vitest";
import { closest } from "../../src/config/suggest.ts";

describe("closest", () => {
  it("finds a near miss, a plural, and nothing for a far one", () => {
    expect(closest("hostname", ["hostnames", "rules", "id"])).toBe("hostnames");
    expect(closest("rulez", ["hostnames", "rules", "id"])).toBe("rules");
    expect(closest("validat", ["validate", "explain"])).toBe("validate");
    expect(closest("xyz", ["validate", "explain"])).toBeUndefined();
    expect(closest("ordrs", ["orders", "billing"])).toBe("orders");
  });
});
