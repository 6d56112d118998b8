/**
 * The route table's shape: the public contract of docs/route-table.md, written once as a
 * zod schema so that the types, the validator and the exported JSON Schema cannot drift apart.
 *
 * Shapes only. Cross-references and meaning (unknown clusters, regexes not RE2 or over the cap, shadowed rules…)
 * are checked in `validate.ts`, which reports every problem at once.
 */
import { z } from "zod";
import {
  DURATION_PATTERN,
  HEADER_NAME_PATTERN,
  HEADER_VALUE_PATTERN,
  HTTP_METHODS,
  JWS_ALGORITHMS,
  PATH_READING_NAMES,
  RATE_LIMIT_BACKENDS,
  TLS_VERSIONS,
} from "./constants.ts";

const duration = z
  .string({
    // YAML reads `timeout: 10` as a number: say what is missing rather than "must be a string".
    error: (issue) =>
      typeof issue.input === "number"
        ? `must be a duration with its unit, such as "${issue.input}s" (not the number ${issue.input})`
        : undefined,
  })
  .regex(DURATION_PATTERN, { message: 'is not a duration (for example "30s", "100ms", "1h30m")' });

const headerName = z
  .string()
  .min(1)
  .max(256)
  .regex(HEADER_NAME_PATTERN, { message: "is not a valid HTTP header name" });
const headerValue = z
  .string()
  .max(8192)
  .regex(HEADER_VALUE_PATTERN, { message: "has characters not allowed in an HTTP header value" });

const name = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/, {
    message: "must be letters, digits, '.', '_' or '-', starting and ending with a letter or digit",
  });

// A route id is a name, or up to three names joined by `/`: objects imported from Kubernetes keep their
// `namespace/name` (and `namespace/name/host` for an Ingress with several hosts, where the last part may
// be a `*.` wildcard host), so that logs and `explain` point back to the object.
const NAME_PART = "[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?";
const routeId = z
  .string()
  .min(1)
  .max(253)
  .regex(new RegExp(`^${NAME_PART}(/${NAME_PART}(/(\\*\\.)?${NAME_PART})?)?$`), {
    message:
      "must be a name (letters, digits, '.', '_' or '-', starting and ending with a letter or digit), " +
      "or two or three names joined by '/' (namespace/name, namespace/name/host)",
  });

// ---------------------------------------------------------------------------------------------------
// TLS policy (edge)

export const HstsSchema = z.strictObject({
  maxAge: z
    .number()
    .int()
    .min(0)
    .max(63072000 * 2),
  includeSubDomains: z.boolean().default(false),
  preload: z.boolean().default(false),
});

export const ClientCertificateSchema = z.strictObject({
  mode: z.enum(["Require", "Optional", "Off"]),
  fingerprintsSHA256: z
    .array(
      z.string().regex(/^([0-9a-fA-F]{2}:?){31}[0-9a-fA-F]{2}$/, {
        message: "is not a SHA-256 fingerprint (64 hex digits, colons allowed)",
      }),
    )
    .optional(),
  forwardHeader: headerName.optional(),
});

export const TlsPolicySchema = z.strictObject({
  httpsRedirect: z.boolean().optional(),
  /** Extension: 308 always works; 301 may be chosen for GET/HEAD for very old clients. */
  redirectStatusCode: z.union([z.literal(301), z.literal(308)]).optional(),
  hsts: z.union([HstsSchema, z.literal(false)]).optional(),
  minVersion: z.enum(TLS_VERSIONS).optional(),
  clientCertificate: ClientCertificateSchema.optional(),
});

// ---------------------------------------------------------------------------------------------------
// JWT providers

const bindingName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "is not a Worker binding name" });
const bindingRef = z.strictObject({ binding: bindingName });

export const ProviderSchema = z.strictObject({
  issuer: z.string().min(1).optional(),
  audiences: z.array(z.string().min(1)).optional(),
  remoteJWKS: z
    .strictObject({
      uri: z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }),
      /** Extension: bounds for fetching and caching the key set. */
      timeout: duration.optional(),
      cacheDuration: duration.optional(),
      staleDuration: duration.optional(),
      maxBytes: z.number().int().positive().optional(),
    })
    .optional(),
  localJWKS: z.strictObject({ keys: z.array(z.looseObject({ kty: z.string() })).min(1) }).optional(),
  secret: bindingRef.optional(),
  algorithms: z
    .array(z.enum(JWS_ALGORITHMS, { message: "is not a supported JWS algorithm" }))
    .min(1)
    .optional(),
  clockSkew: duration.optional(),
  requireExpiration: z.boolean().optional(),
  maxTokenBytes: z.number().int().min(64).max(65536).optional(),
  extractFrom: z
    .strictObject({
      headers: z.array(z.strictObject({ name: headerName, valuePrefix: z.string().optional() })).optional(),
      cookies: z.array(z.string().min(1)).optional(),
      params: z.array(z.string().min(1)).optional(),
    })
    .optional(),
  claimToHeaders: z.array(z.strictObject({ claim: z.string().min(1), header: headerName })).optional(),
  /** Extension: whether the token itself reaches the origin (default true, as Envoy's `forward`). */
  forwardToken: z.boolean().optional(),
});

// ---------------------------------------------------------------------------------------------------
// Clusters

export const EndpointSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }),
  weight: z.number().int().min(0).max(1_000_000).default(1),
  /** Extension: a stable name for logs, affinity and status; defaults to the URL. */
  name: z.string().min(1).optional(),
});

export const TransportSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("direct"), allowInsecure: z.boolean().optional() }),
  z.strictObject({ type: z.literal("vpc"), binding: bindingName }),
  z.strictObject({
    type: z.literal("access"),
    hostname: z.string().min(1).optional(),
    clientId: bindingRef,
    clientSecret: bindingRef,
  }),
]);

export const LoadBalancerSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("RoundRobin") }),
  z.strictObject({ type: z.literal("Random") }),
  z.strictObject({
    type: z.literal("ConsistentHash"),
    header: headerName.optional(),
    cookie: z.string().min(1).optional(),
    sourceIP: z.boolean().optional(),
    claim: z.string().min(1).optional(),
  }),
]);

/**
 * Active health checks: the gateway probes every endpoint on a schedule (docs/data-path.md, "Active
 * health"). Envoy's HTTP health checker, with its names where it has them.
 */
export const ActiveHealthCheckSchema = z.strictObject({
  /** Requested with GET on every endpoint; may carry a query. */
  path: z
    .string()
    .max(1024)
    .regex(/^\/[\x21\x22\x24-\x7e]*$/, {
      message: "must be an absolute path starting with '/': printable ASCII, no spaces, no fragment ('#')",
    }),
  interval: duration.optional(),
  timeout: duration.optional(),
  healthyThreshold: z.number().int().min(1).max(100).optional(),
  unhealthyThreshold: z.number().int().min(1).max(100).optional(),
  expectedStatuses: z.array(z.number().int().min(200).max(599)).min(1).optional(),
});

/**
 * Extension: the origin path readings (docs/routing.md) an operator whose origins are strict turns
 * off by name; an omitted reading stays on.
 */
export const PathReadingsSchema = z.strictObject(
  Object.fromEntries(PATH_READING_NAMES.map((reading) => [reading, z.boolean().optional()])) as Record<
    (typeof PATH_READING_NAMES)[number],
    z.ZodOptional<z.ZodBoolean>
  >,
);

export const ClusterSchema = z.strictObject({
  endpoints: z.array(EndpointSchema).min(1),
  transport: TransportSchema.default({ type: "direct" }),
  loadBalancer: LoadBalancerSchema.default({ type: "RoundRobin" }),
  healthCheck: z
    .strictObject({
      passive: z
        .strictObject({
          consecutiveGatewayErrors: z.number().int().min(1).max(1000).optional(),
          baseEjectionTime: duration.optional(),
        })
        .optional(),
      active: ActiveHealthCheckSchema.optional(),
    })
    .optional(),
  /** Extension: the Host the origin sees, instead of the endpoint URL's host. */
  hostname: z.string().min(1).optional(),
  /** Extension: how this cluster's origins read paths, over the table's `paths.readings`. */
  pathReadings: PathReadingsSchema.optional(),
});

// ---------------------------------------------------------------------------------------------------
// Routes

export const PathMatchSchema = z.strictObject({
  type: z.enum(["Exact", "PathPrefix", "RegularExpression"]).default("PathPrefix"),
  value: z.string().min(1).max(1024).default("/"),
});

const valueMatch = z.strictObject({
  name: z.string().min(1),
  value: z.string().max(4096),
  type: z.enum(["Exact", "RegularExpression"]).default("Exact"),
});

export const HeaderMatchSchema = valueMatch.extend({ name: headerName });
export const QueryParamMatchSchema = valueMatch;

export const MatchSchema = z.strictObject({
  path: PathMatchSchema.optional(),
  method: z.enum(HTTP_METHODS, { message: "is not an HTTP method" }).optional(),
  headers: z.array(HeaderMatchSchema).optional(),
  queryParams: z.array(QueryParamMatchSchema).optional(),
});

const headerPair = z.strictObject({ name: headerName, value: headerValue });
export const HeaderModifierSchema = z.strictObject({
  set: z.array(headerPair).optional(),
  add: z.array(headerPair).optional(),
  remove: z.array(headerName).optional(),
});

export const PathModifierSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("ReplaceFullPath"), replaceFullPath: z.string().startsWith("/") }),
  z.strictObject({
    type: z.literal("ReplacePrefixMatch"),
    // "" is the spec's own example: prefix `/foo` replaced by "" turns `/foo/bar` into `/bar`.
    replacePrefixMatch: z.string().regex(/^(?:$|\/)/, { message: 'must be "" or start with "/"' }),
  }),
]);

export const BackendRefSchema = z.strictObject({
  name: z.string().min(1),
  weight: z.number().int().min(0).max(1_000_000).default(1),
});

export const FilterSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("RequestHeaderModifier"), requestHeaderModifier: HeaderModifierSchema }),
  z.strictObject({ type: z.literal("ResponseHeaderModifier"), responseHeaderModifier: HeaderModifierSchema }),
  z.strictObject({
    type: z.literal("URLRewrite"),
    urlRewrite: z.strictObject({
      hostname: z.string().min(1).optional(),
      path: PathModifierSchema.optional(),
    }),
  }),
  z.strictObject({
    type: z.literal("RequestRedirect"),
    requestRedirect: z.strictObject({
      scheme: z.enum(["http", "https"]).optional(),
      hostname: z.string().min(1).optional(),
      port: z.number().int().min(1).max(65535).optional(),
      path: PathModifierSchema.optional(),
      statusCode: z
        .union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)])
        .default(302),
    }),
  }),
  z.strictObject({
    type: z.literal("RequestMirror"),
    requestMirror: z.strictObject({
      backendRef: z.strictObject({ name: z.string().min(1) }),
      percent: z.number().min(0).max(100).default(100),
    }),
  }),
  z.strictObject({
    type: z.literal("CORS"),
    cors: z.strictObject({
      allowOrigins: z.array(z.string().min(1)).optional(),
      allowMethods: z.array(z.string().min(1)).optional(),
      allowHeaders: z.array(z.string().min(1)).optional(),
      exposeHeaders: z.array(z.string().min(1)).optional(),
      allowCredentials: z.boolean().default(false),
      maxAge: z.number().int().min(0).max(86400).default(5),
    }),
  }),
]);

// ---------------------------------------------------------------------------------------------------
// Traffic policy (issue 13): who may come in, how big, how often. On a rule, and table-wide under
// `defaults`, which a rule overrides field by field (docs/route-table.md#traffic-policy).

/** IPv4 or IPv6 prefixes (or addresses); each is parsed strictly in `policy-checks.ts`. */
const cidrList = z.array(z.string()).max(100_000);

export const ClientAddressesSchema = z.strictObject({
  allow: cidrList.optional(),
  deny: cidrList.optional(),
});

/** As `request.cf.country` gives it: ISO 3166-1 alpha-2 in capitals, plus Cloudflare's `T1` (Tor) and `XX`. */
const countryCode = z.string().regex(/^[A-Z][A-Z0-9]$/, {
  message: "is not a two-letter country code in capitals (ISO 3166-1 alpha-2, such as DE)",
});
/** One of `allow` or `deny` (checked in `policy-checks.ts`: zod refinements have no JSON Schema). */
export const CountriesSchema = z.strictObject({
  allow: z.array(countryCode).min(1).optional(),
  deny: z.array(countryCode).min(1).optional(),
});

export const RequestLimitsSchema = z.strictObject({
  /** Request body; 0 refuses any body. */
  bodyBytes: z
    .number()
    .int()
    .min(0)
    .max(2 ** 40)
    .optional(),
  /** Every request header as `name: value\r\n`. */
  headerBytes: z.number().int().min(1).max(1_048_576).optional(),
  /** The request target: path and query as received (percent-encoded). */
  urlBytes: z.number().int().min(1).max(1_048_576).optional(),
});

const KEY_SHAPES = "clientAddress, { header: name }, { claim: name }";
export const RateLimitKeyPartSchema = z.union(
  [
    z.literal("clientAddress"),
    z.strictObject({ header: headerName }),
    z.strictObject({ claim: z.string().min(1) }),
  ],
  { error: `must be one of ${KEY_SHAPES}` },
);

/** Shapes only; what each backend can count (periods, sizes) is checked in `policy-checks.ts`. */
export const RateLimitSchema = z.strictObject({
  requests: z.number().int().min(1).max(1_000_000_000),
  period: duration,
  key: z.union([RateLimitKeyPartSchema, z.array(RateLimitKeyPartSchema).min(1).max(8)], {
    error: `must be one of ${KEY_SHAPES}, or a list of them`,
  }),
  /** Extension: where the count is kept. */
  backend: z.enum(RATE_LIMIT_BACKENDS).default("RateLimitingBinding"),
});

/** The four traffic-policy fields, the same on a rule and under `defaults`. */
const trafficPolicyFields = {
  rateLimit: z.array(RateLimitSchema).max(16).optional(),
  clientAddresses: ClientAddressesSchema.optional(),
  countries: CountriesSchema.optional(),
  requestLimits: RequestLimitsSchema.optional(),
};
export const TrafficPolicySchema = z.strictObject(trafficPolicyFields);

export const AuthSchema = z.strictObject({
  provider: z.string().min(1),
  audiences: z.array(z.string().min(1)).optional(),
  requiredScopes: z.array(z.string().min(1)).optional(),
  requiredClaims: z
    .array(z.strictObject({ name: z.string().min(1), values: z.array(z.string()).min(1) }))
    .optional(),
});

export const RuleSchema = z.strictObject({
  name: name.optional(),
  matches: z.array(MatchSchema).optional(),
  filters: z.array(FilterSchema).optional(),
  backendRefs: z.array(BackendRefSchema).optional(),
  auth: AuthSchema.optional(),
  timeouts: z.strictObject({ request: duration.optional(), backendRequest: duration.optional() }).optional(),
  retry: z
    .strictObject({
      attempts: z.number().int().min(0).max(10).default(1),
      codes: z.array(z.number().int().min(400).max(599)).default([502, 503, 504]),
      backoff: duration.default("25ms"),
    })
    .optional(),
  sessionPersistence: z
    .strictObject({
      type: z.enum(["Cookie", "Header"]).default("Cookie"),
      sessionName: headerName.default("gh-session"),
      absoluteTimeout: duration.optional(),
      idleTimeout: duration.optional(),
      cookieConfig: z.strictObject({ lifetimeType: z.enum(["Session", "Permanent"]) }).optional(),
    })
    .optional(),
  ...trafficPolicyFields,
});

export const RouteSchema = z.strictObject({
  id: routeId,
  hostnames: z.array(z.string()).optional(),
  tls: TlsPolicySchema.optional(),
  rules: z.array(RuleSchema).min(1),
  /** Extension: keep a client's `X-Request-Id` instead of generating one (trusted callers only). */
  trustRequestId: z.boolean().optional(),
  /** Extension: add a `Server-Timing` header (gateway and upstream time) to this route's responses. */
  serverTiming: z.boolean().optional(),
});

export const RouteTableSchema = z.strictObject({
  version: z.literal(1, {
    error: (issue) => (issue.input === undefined ? "required" : "must be 1 (the only schema version)"),
  }),
  /** Extension: table-wide path handling; see docs/route-table.md#paths. */
  paths: z
    .strictObject({
      /** Accept `%2F` and `%5C` in paths (kept encoded, never decoded into separators). */
      allowEncodedSlashes: z.boolean().default(false),
      /** The origin path readings every cluster gets unless it sets its own `pathReadings`. */
      readings: PathReadingsSchema.optional(),
    })
    .optional(),
  tls: TlsPolicySchema.optional(),
  /** Traffic policy every rule gets unless it says otherwise (docs/route-table.md#defaults). */
  defaults: TrafficPolicySchema.optional(),
  providers: z.record(name, ProviderSchema).default({}),
  clusters: z.record(name, ClusterSchema).default({}),
  routes: z.array(RouteSchema),
});

/** What an operator writes (defaults optional). */
export type RouteTableInput = z.input<typeof RouteTableSchema>;
/** A validated, normalised table: defaults filled in. */
export type RouteTable = z.output<typeof RouteTableSchema>;
export type TlsPolicy = z.output<typeof TlsPolicySchema>;
export type Provider = z.output<typeof ProviderSchema>;
export type Cluster = z.output<typeof ClusterSchema>;
export type Endpoint = z.output<typeof EndpointSchema>;
export type Transport = z.output<typeof TransportSchema>;
export type LoadBalancer = z.output<typeof LoadBalancerSchema>;
export type ActiveHealthCheck = z.output<typeof ActiveHealthCheckSchema>;
export type Route = z.output<typeof RouteSchema>;
export type Rule = z.output<typeof RuleSchema>;
export type Match = z.output<typeof MatchSchema>;
export type PathMatch = z.output<typeof PathMatchSchema>;
export type HeaderMatch = z.output<typeof HeaderMatchSchema>;
export type QueryParamMatch = z.output<typeof QueryParamMatchSchema>;
export type Filter = z.output<typeof FilterSchema>;
export type HeaderModifier = z.output<typeof HeaderModifierSchema>;
export type PathModifier = z.output<typeof PathModifierSchema>;
export type BackendRef = z.output<typeof BackendRefSchema>;
export type Auth = z.output<typeof AuthSchema>;
export type SessionPersistence = NonNullable<Rule["sessionPersistence"]>;
export type RetryPolicy = NonNullable<Rule["retry"]>;
export type TrafficPolicy = z.output<typeof TrafficPolicySchema>;
export type RateLimit = z.output<typeof RateLimitSchema>;
export type RateLimitKeyPart = z.output<typeof RateLimitKeyPartSchema>;
export type RateLimitBackend = (typeof RATE_LIMIT_BACKENDS)[number];
export type ClientAddresses = z.output<typeof ClientAddressesSchema>;
export type Countries = z.output<typeof CountriesSchema>;
export type RequestLimits = z.output<typeof RequestLimitsSchema>;

/**
 * The shape of a validated, normalised table as JSON Schema: defaults are filled in by then, so fields
 * that have one are required. The Worker checks what it reads from KV against this (committed as
 * `src/store/table-shape.json`, kept equal to this by `test/store/table-shape.test.ts`) so that it does
 * not have to bundle zod.
 */
export function normalisedTableJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(RouteTableSchema, { target: "draft-7", io: "output" }) as Record<string, unknown>;
}
