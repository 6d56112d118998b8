/**
 * Plain values of the route table's contract that the Worker needs at run time, kept apart from the
 * zod schema (`schema.ts`) so that importing them never brings zod into the Worker bundle. The schema
 * builds its checks from these; `test/worker/bundle.test.ts` keeps zod out of the Worker's imports.
 */

/** Gateway API Duration: `1h`, `30s`, `100ms`, `1m30s`; `0s` disables where the field allows it. */
export const DURATION_PATTERN = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;

/** RFC 7230 token: what a header name may be. */
export const HEADER_NAME_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Visible ASCII, spaces and tabs; no CR, LF or NUL that could split a header. */
export const HEADER_VALUE_PATTERN = /^[\t\x20-\x7e\x80-\xff]*$/;

export const HTTP_METHODS = [
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "CONNECT",
  "OPTIONS",
  "TRACE",
  "PATCH",
] as const;

export const TLS_VERSIONS = ["1.0", "1.1", "1.2", "1.3"] as const;

/** Every JWS algorithm jose verifies. `none` is not here and can never be configured. */
export const JWS_ALGORITHMS = [
  "HS256",
  "HS384",
  "HS512",
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
] as const;

/**
 * `healthCheck.active` defaults (the contract's example), and the longest probe timeout: a round of
 * probes runs inside one once-a-minute scheduled invocation and must end before the next.
 */
export const ACTIVE_HEALTH_DEFAULTS = {
  intervalMs: 60_000,
  timeoutMs: 2_000,
  maxTimeoutMs: 30_000,
  healthyThreshold: 2,
  unhealthyThreshold: 2,
  expectedStatuses: [200] as readonly number[],
} as const;

/**
 * The origin path readings a table can relax by name (docs/routing.md, "Origin readings"); the routing
 * core's `origin-readings.ts` implements them in this order.
 */
export const PATH_READING_NAMES = [
  "semicolonParameters",
  "caseInsensitive",
  "trailingDotsAndSpaces",
  "invisibleCharacters",
  "doubleDecoding",
] as const;

/** Where a rate limit's count is kept (docs/traffic-policy.md#backends). */
export const RATE_LIMIT_BACKENDS = ["RateLimitingBinding", "DurableObject"] as const;

/** The periods the Workers Rate Limiting binding counts over: one binding each in wrangler.toml. */
export const BINDING_PERIODS_SECONDS = [10, 60] as const;

/**
 * The most requests per period the binding backend counts exactly. The bindings are declared with a
 * large limit and each call adds `delta = ceil(BINDING_CAPACITY / requests)`; exactly `requests` calls
 * pass while requests × (requests − 1) < BINDING_CAPACITY (docs/traffic-policy.md#the-binding-backend).
 */
export const BINDING_MAX_REQUESTS = 1000;

/** The `simple.limit` every `[[ratelimits]]` binding declares (a test keeps wrangler.toml equal to it). */
export const BINDING_CAPACITY = 1_000_000;
