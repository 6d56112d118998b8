/**
 * Active-health verdicts as a state machine (thresholds, the first probe, the times kept) and the
 * isolate's view of them (what the request path asks, and when a view stops counting).
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  activeVerdict,
  compileActiveHealth,
  type EndpointVerdict,
  installActiveVerdicts,
  isActiveDown,
  nextVerdict,
  type ProbeOutcome,
  resetActiveHealthForTests,
} from "../../src/upstream/active-health.ts";

const policy = compileActiveHealth({ path: "/healthz", healthyThreshold: 2, unhealthyThreshold: 3 })!;
const ok = (at: number): ProbeOutcome => ({ ok: true, result: "200", at });
const bad = (at: number): ProbeOutcome => ({ ok: false, result: "timeout", at });

/** The verdict after each probe of a sequence ("+" success, "-" failure), one a minute. */
function run(sequence: string): EndpointVerdict[] {
  const out: EndpointVerdict[] = [];
  let last: EndpointVerdict | undefined;
  [...sequence].forEach((c, i) => {
    last = nextVerdict(last, c === "+" ? ok(i * 60_000) : bad(i * 60_000), policy);
    out.push(last);
  });
  return out;
}

describe("compileActiveHealth", () => {
  it("fills the contract's defaults", () => {
    const compiled = compileActiveHealth({ path: "/healthz" })!;
    expect({ ...compiled, expectedStatuses: [...compiled.expectedStatuses] }).toEqual({
      path: "/healthz",
      intervalMs: 60_000,
      timeoutMs: 2_000,
      healthyThreshold: 2,
      unhealthyThreshold: 2,
      expectedStatuses: [200],
    });
    expect(compileActiveHealth(undefined)).toBeUndefined();
  });

  it("keeps intervals in whole minutes, rounding up what the schedule cannot keep", () => {
    expect(compileActiveHealth({ path: "/", interval: "10s" })!.intervalMs).toBe(60_000);
    expect(compileActiveHealth({ path: "/", interval: "90s" })!.intervalMs).toBe(120_000);
    expect(compileActiveHealth({ path: "/", interval: "5m" })!.intervalMs).toBe(300_000);
  });
});

describe("nextVerdict", () => {
  it("takes the first probe as the verdict on its own", () => {
    expect(run("-")[0]).toMatchObject({ verdict: "down", since: 0, result: "timeout" });
    expect(run("+")[0]).toMatchObject({ verdict: "up", since: 0, result: "200" });
  });

  it("turns up to down only after unhealthyThreshold failures in a row", () => {
    expect(run("+--+---").map((v) => v.verdict)).toEqual(["up", "up", "up", "up", "up", "up", "down"]);
  });

  it("turns down to up only after healthyThreshold successes in a row", () => {
    expect(run("-+-++").map((v) => v.verdict)).toEqual(["down", "down", "down", "down", "up"]);
  });

  it("keeps when the verdict was taken apart from when it was last confirmed", () => {
    const verdicts = run("+---++");
    expect(verdicts[3]).toMatchObject({ verdict: "down", since: 180_000, checkedAt: 180_000 });
    expect(verdicts[4]).toMatchObject({ verdict: "down", since: 180_000, checkedAt: 240_000 });
    expect(verdicts[5]).toMatchObject({ verdict: "up", since: 300_000, checkedAt: 300_000 });
  });

  it("caps the counters at the thresholds, so a steady endpoint's record stops changing", () => {
    const steady = run("++++++");
    expect(steady.at(-1)).toMatchObject({ consecutiveSuccesses: 2, consecutiveFailures: 0 });
    expect(run("------").at(-1)).toMatchObject({ consecutiveSuccesses: 0, consecutiveFailures: 3 });
  });
});

describe("the isolate's view", () => {
  afterEach(resetActiveHealthForTests);
  const down: EndpointVerdict = run("-")[0]!;
  const up: EndpointVerdict = run("+")[0]!;

  it("says down only for endpoints whose verdict is down, until the view expires", () => {
    installActiveVerdicts(
      "v1",
      new Map([
        ["a", down],
        ["b", up],
      ]),
      1_000,
    );
    expect(isActiveDown("a", 999)).toBe(true);
    expect(isActiveDown("b", 999)).toBe(false);
    expect(isActiveDown("c", 999)).toBe(false);
    // Checks that stopped running stop keeping endpoints out.
    expect(isActiveDown("a", 1_000)).toBe(false);
    expect(activeVerdict("a", 1_000)).toBeUndefined();
    expect(activeVerdict("b", 999)).toBe(up);
  });

  it("is replaced whole by the next install", () => {
    installActiveVerdicts("v1", new Map([["a", down]]), 1_000);
    installActiveVerdicts("v2", new Map([["a", up]]), 1_000);
    expect(isActiveDown("a", 0)).toBe(false);
  });

  it("starts empty", () => {
    expect(isActiveDown("a", 0)).toBe(false);
    expect(activeVerdict("a", 0)).toBeUndefined();
  });
});
