import { describe, expect, it } from "vitest";
import { childPids, cpuMs, parseStat } from "../../bench/support/process-cpu.ts";

describe("process CPU for the e2e bench", () => {
  it("reads comm, ppid and user + system time, even when comm holds spaces and parentheses", () => {
    const line =
      "4242 (V8 (Default) Worker) S 17 4242 17 0 -1 4194560 512 0 0 0 250 75 0 0 20 0 9 0 1234 0 0\n";
    expect(parseStat(line)).toEqual({ comm: "V8 (Default) Worker", ppid: 17, cpuMs: 3250 });
  });

  it("reads this process's own CPU time, and gives NaN for no process", () => {
    if (process.platform !== "linux") return;
    expect(cpuMs(process.pid)).toBeGreaterThanOrEqual(0);
    expect(cpuMs(undefined)).toBeNaN();
    expect(childPids("no-such-command").size).toBe(0);
  });
});
