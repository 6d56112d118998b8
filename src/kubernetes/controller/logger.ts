/**
 * What the controller says about itself: one JSON object per line on stderr in the cluster (what log
 * collectors parse), collected in memory by the tests (which stay quiet).
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** JSON lines to `write` (stderr by default), from `minimum` up. */
export function jsonLogger(
  minimum: LogLevel = "info",
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  return {
    log(level, message, fields) {
      if (RANK[level] < RANK[minimum]) return;
      write(`${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields })}\n`);
    },
  };
}

export interface LogEntry {
  level: LogLevel;
  message: string;
  fields?: Record<string, unknown>;
}

/** Keeps every entry (bounded) for a test to inspect. */
export function memoryLogger(limit = 2000): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  return {
    entries,
    log(level, message, fields) {
      entries.push({ level, message, ...(fields ? { fields } : {}) });
      if (entries.length > limit) entries.splice(0, entries.length - limit);
    },
  };
}
