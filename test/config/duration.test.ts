import { describe, expect, it } from "vitest";
import { durationMs, parseDuration } from "../../src/config/duration.ts";

describe("parseDuration (Gateway API durations)", () => {
  it.each([
    ["0s", 0],
    ["250ms", 250],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["1m30s", 90_000],
    ["1h30m", 5_400_000],
    ["1h2m3s4ms", 3_723_004],
    ["99999ms", 99_999],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "30", "1.5s", "-1s", "30 s", " 30s", "30S", "100us", "1d", "1h1m1s1ms1h", "123456s", "s"])(
    "refuses %j",
    (text) => {
      expect(() => parseDuration(text)).toThrow(`invalid duration "${text}"`);
    },
  );
});

describe("durationMs", () => {
  it("uses the fallback only when the field is absent", () => {
    expect(durationMs(undefined, 1234)).toBe(1234);
    expect(durationMs("0s", 1234)).toBe(0);
    expect(durationMs("2s", 1234)).toBe(2000);
  });
});
