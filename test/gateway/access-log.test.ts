import { describe, expect, it } from "vitest";
import { parseAccessLogPolicy } from "../../src/gateway/access-log.ts";

describe("parseAccessLogPolicy", () => {
  it("reads a rate in 0..1 and falls back to 1 for anything else", () => {
    expect(parseAccessLogPolicy("0.25", undefined).sampleRate).toBe(0.25);
    expect(parseAccessLogPolicy("0", undefined).sampleRate).toBe(0);
    for (const bad of ["", " ", "2", "-0.1", "half", undefined, 0.5]) {
      expect(parseAccessLogPolicy(bad, undefined).sampleRate).toBe(1);
    }
  });

  it("keeps requestId and status whatever fields are chosen, without duplicates", () => {
    expect(parseAccessLogPolicy(undefined, "status,route,,route").fields).toEqual([
      "requestId",
      "status",
      "route",
    ]);
    expect(parseAccessLogPolicy(undefined, "").fields).toBeUndefined();
  });
});
