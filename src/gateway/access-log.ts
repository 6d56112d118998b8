/**
 * One structured line per request. Never a token, a cookie value or a query string's secrets.
 *
 * What is written is the operator's choice (docs/observability.md, "Access log"), through two vars:
 *   ACCESS_LOG_SAMPLE_RATE  share of answered requests (status < 400) that are logged, 0..1 (default 1);
 *                           a refusal or fault (status >= 400, or any `error`) is always logged
 *   ACCESS_LOG_FIELDS       comma-separated entry fields to keep (default: all); `requestId` and
 *                           `status` are always kept, so every line can be joined to a response
 */
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
  /** The rule's auth: `none` (public rule), `ok`, or the refusal's error code (`token_missing`, …). */
  auth?: string;
  /** The provider the rule's auth names. */
  provider?: string;
  /** Whether the verified-token cache spared the signature check (`hit`) or not (`miss`). */
  tokenCache?: "hit" | "miss";
  totalMs?: number;
  upstreamMs?: number;
  /** Time spent in the auth stage (key fetches included). */
  authMs?: number;
  tableVersion?: number;
}

export interface AccessLogPolicy {
  /** 0..1: the share of requests answered below 400 that are written. */
  readonly sampleRate: number;
  /** The fields to keep; undefined = the whole entry. */
  readonly fields: readonly (keyof AccessLogEntry)[] | undefined;
}

export const DEFAULT_ACCESS_LOG_POLICY: AccessLogPolicy = { sampleRate: 1, fields: undefined };

const ALWAYS_KEPT: readonly (keyof AccessLogEntry)[] = ["requestId", "status"];

let cachedVars: { rate: unknown; fields: unknown } | undefined;
let cachedPolicy = DEFAULT_ACCESS_LOG_POLICY;

/**
 * The policy the vars describe, parsed once per distinct pair of values (vars do not change within an
 * isolate's life, so the request path pays two comparisons). A value that does not parse falls back to
 * the default for that var: a typo never silences the log.
 */
export function accessLogPolicy(env: {
  ACCESS_LOG_SAMPLE_RATE?: unknown;
  ACCESS_LOG_FIELDS?: unknown;
}): AccessLogPolicy {
  const rate = env.ACCESS_LOG_SAMPLE_RATE;
  const fields = env.ACCESS_LOG_FIELDS;
  if (cachedVars && cachedVars.rate === rate && cachedVars.fields === fields) return cachedPolicy;
  cachedVars = { rate, fields };
  cachedPolicy = parseAccessLogPolicy(rate, fields);
  return cachedPolicy;
}

export function parseAccessLogPolicy(rate: unknown, fields: unknown): AccessLogPolicy {
  const parsedRate = typeof rate === "string" && rate.trim() !== "" ? Number(rate) : Number.NaN;
  const sampleRate = parsedRate >= 0 && parsedRate <= 1 ? parsedRate : 1;
  let kept: (keyof AccessLogEntry)[] | undefined;
  if (typeof fields === "string" && fields.trim() !== "") {
    kept = [...ALWAYS_KEPT];
    for (const name of fields.split(",")) {
      const field = name.trim();
      if (field !== "" && !kept.includes(field as keyof AccessLogEntry))
        kept.push(field as keyof AccessLogEntry);
    }
  }
  return { sampleRate, fields: kept };
}

export function writeAccessLog(
  entry: AccessLogEntry,
  policy: AccessLogPolicy = DEFAULT_ACCESS_LOG_POLICY,
): void {
  const failed = (entry.status ?? 500) >= 400 || entry.error !== undefined;
  if (!failed && policy.sampleRate < 1 && !(Math.random() < policy.sampleRate)) return;
  // `type` first, without copying the entry into a new object on every request. The entry's required
  // fields mean its JSON is never `{}`.
  const body = policy.fields ? JSON.stringify(entry, policy.fields as string[]) : JSON.stringify(entry);
  console.log(`{"type":"access",${body.slice(1)}`);
}
