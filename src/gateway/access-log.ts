/** One structured line per request. Never a token, a cookie value or a query string's secrets. */
export interface AccessLogEntry {
  requestId: string;
  method: string;
  host: string;
  path: string;
  route?: string;
  rule?: number | string;
  cluster?: string;
  endpoint?: string;
  status?: number;
  error?: string;
  attempts?: number;
  /** Session persistence: the client kept its endpoint (value refreshed), got its first, or was moved. */
  session?: "kept" | "new" | "moved";
  totalMs?: number;
  upstreamMs?: number;
  tableVersion?: number;
}

export function writeAccessLog(entry: AccessLogEntry): void {
  // `type` first, without copying the entry into a new object on every request. The entry's required
  // fields mean its JSON is never `{}`.
  console.log(`{"type":"access",${JSON.stringify(entry).slice(1)}`);
}
