/**
 * `Server-Timing` (W3C Server Timing) for routes with `serverTiming: true`: how long the gateway held
 * the request, how much of it went to auth and to the origin. Opt-in, since it tells any client how long
 * the origin took. Values are the access log's, so the header and the log line always agree.
 */
import type { AccessLogEntry } from "../gateway/access-log.ts";

export function serverTimingValue(entry: AccessLogEntry): string {
  const parts = [`total;dur=${entry.totalMs ?? 0}`];
  if (entry.authMs !== undefined) parts.push(`auth;dur=${entry.authMs}`);
  if (entry.upstreamMs !== undefined) parts.push(`upstream;dur=${entry.upstreamMs}`);
  return parts.join(", ");
}

/**
 * The response with the header appended (an origin's own Server-Timing entries are kept). A WebSocket
 * upgrade (101) is handed back as it is: its headers are already on the wire.
 */
export function withServerTiming(response: Response, entry: AccessLogEntry): Response {
  if (response.status === 101) return response;
  const headers = new Headers(response.headers);
  headers.append("server-timing", serverTimingValue(entry));
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
