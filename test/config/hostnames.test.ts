import { describe, expect, it } from "vitest";
import { hostnameProblem } from "../../src/config/hostnames.ts";

const ROUTE = { wildcard: true };
const PLAIN = { wildcard: false };

describe("hostnameProblem", () => {
  it.each([
    "example.com",
    "api.example.com",
    "API.Example.COM",
    "a-b.example.com",
    "xn--bcher-kva.example",
    "localhost",
    "1password.com",
    `${"a".repeat(63)}.example.com`,
  ])("accepts %s", (name) => {
    expect(hostnameProblem(name, ROUTE)).toBeUndefined();
    expect(hostnameProblem(name, PLAIN)).toBeUndefined();
  });

  it("accepts a *. wildcard first label where wildcards are allowed, and nowhere else", () => {
    expect(hostnameProblem("*.example.com", ROUTE)).toBeUndefined();
    expect(hostnameProblem("*.example.com", PLAIN)).toBe("must not be a wildcard");
  });

  it.each([
    ["", "must not be empty"],
    ["*", "is not a hostname: leave hostnames out to match every host"],
    ["api.*.example.com", 'must have its wildcard as the whole first label, as in "*.example.com"'],
    ["*api.example.com", 'must have its wildcard as the whole first label, as in "*.example.com"'],
    ["https://api.example.com", "must be a hostname, not a URL"],
    ["api.example.com:8443", "must not include a port (the request's port is ignored when matching)"],
    ["api.example.com/x", "must be a hostname without a path"],
    ["10.0.0.1", "must be a DNS name: IP addresses are not allowed"],
    ["[::1]", "must be a DNS name: IP addresses are not allowed"],
    ["::1", "must be a DNS name: IP addresses are not allowed"],
    ["example.com.", "must not end with a dot"],
    ["a..example.com", "has an empty label (two dots in a row, or a leading dot)"],
    [".example.com", "has an empty label (two dots in a row, or a leading dot)"],
    [`${"a".repeat(64)}.example.com`, "has a label longer than 63 characters"],
    [`${"a.".repeat(127)}com`, "must be at most 253 characters"],
    ["under_score.example.com", 'has a character not allowed in a DNS name: "_"'],
    ["-dash.example.com", 'has a label that starts or ends with "-"'],
    ["dash-.example.com", 'has a label that starts or ends with "-"'],
    ["example.123", "must not end in an all-digit label"],
  ])("refuses %j: %s", (name, reason) => {
    expect(hostnameProblem(name, ROUTE)).toBe(reason);
  });
});
