/**
 * CPU time of a child process, from /proc (Linux). The Worker cases are bound by workerd's one thread,
 * so its CPU time per request is the figure that says what a Worker costs; req/s on a shared VM also
 * moves with whatever else the machine does.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Pids of this process's children whose command is `comm`, e.g. the workerd that Miniflare spawned. */
export function childPids(comm: string): Set<number> {
  const pids = new Set<number>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return pids; // not Linux: no CPU column
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.ppid === process.pid && stat.comm === comm) pids.add(Number(entry));
  }
  return pids;
}

/** User + system CPU milliseconds the process has used so far, or NaN when it cannot be read. */
export function cpuMs(pid: number | undefined): number {
  const stat = pid === undefined ? undefined : readStat(pid);
  return stat ? stat.cpuMs : Number.NaN;
}

// `getconf CLK_TCK`; 100 on every Linux this runs on.
const TICKS_PER_SECOND = 100;

function readStat(pid: number): ProcessStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  return parseStat(text);
}

export interface ProcessStat {
  comm: string;
  ppid: number;
  cpuMs: number;
}

/** One `/proc/<pid>/stat` line (proc(5)). */
export function parseStat(text: string): ProcessStat {
  // comm is in parentheses and may itself hold spaces or parentheses: split after the last ")".
  const close = text.lastIndexOf(")");
  const comm = text.slice(text.indexOf("(") + 1, close);
  const fields = text.slice(close + 2).split(" ");
  // After comm: state(0) ppid(1) … utime(11) stime(12), in clock ticks.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { comm, ppid: Number(fields[1]), cpuMs: (ticks * 1000) / TICKS_PER_SECOND };
}
