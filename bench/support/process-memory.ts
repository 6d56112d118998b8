/**
 * Memory and open files of a child process, from /proc (Linux): what workerd holds as sessions pile up.
 * NaN when it cannot be read (not Linux, or the process is gone).
 */
import { readdirSync, readFileSync } from "node:fs";

/** Resident set size in bytes (`VmRSS` of /proc/<pid>/status). */
export function rssBytes(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** File descriptors the process has open (sockets included). */
export function openFileCount(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
}

/** The process's soft limit on open files (`Max open files` of /proc/<pid>/limits). */
export function openFileLimit(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const match = /^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, "utf8"));
    return match ? Number(match[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
