/** ingress-nginx annotation values → route-table values. */
import { describe, expect, it } from "vitest";
import { duration } from "../../src/kubernetes/ingress-nginx.ts";

describe("duration", () => {
  // A Gateway API duration part has at most five digits: 172800s (two days, a common cookie
  // lifetime) is not a duration, 48h is.
  it.each([
    [0, "0s"],
    [5, "5s"],
    [65, "1m5s"],
    [125, "2m5s"],
    [3600, "1h"],
    [172800, "48h"],
    [1728000, "480h"],
    [90061, "25h1m1s"],
  ])("%i seconds → %s", (seconds, expected) => {
    expect(duration(seconds)).toBe(expected);
    expect(expected).toMatch(/^([0-9]{1,5}(h|m|s|ms)){1,4}$/);
  });
});
