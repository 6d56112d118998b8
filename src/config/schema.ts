/**
 * The route table's shape: the public contract of `shared/design/route-table.md`, written once as a
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
    })
    .optional(),
  /** Extension: the Host the origin sees, instead of the endpoint URL's host. */
  hostname: z.string().min(1).optional(),
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
  z.strictObject({ type: z.literal("ReplacePrefixMatch"), replacePrefixMatch: z.string().startsWith("/") }),
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
});

export const RouteSchema = z.strictObject({
  id: name,
  hostnames: z.array(z.string()).optional(),
  tls: TlsPolicySchema.optional(),
  rules: z.array(RuleSchema).min(1),
  /** Extension: keep a client's `X-Request-Id` instead of generating one (trusted callers only). */
  trustRequestId: z.boolean().optional(),
  /** Extension: add a `Server-Timing` header (gateway and upstream time) to this route's responses. */
  serverTiming: z.boolean().optional(),
});

export const RouteTableSchema = z.strictObject({
  version: z.literal(1, { message: "must be 1 (the only schema version)" }),
  /** Extension: table-wide path handling; see docs/route-table.md#paths. */
  paths: z
    .strictObject({
      /** Accept `%2F` and `%5C` in paths (kept encoded, never decoded into separators). */
      allowEncodedSlashes: z.boolean().default(false),
    })
    .optional(),
  tls: TlsPolicySchema.optional(),
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

/**
 * The shape of a validated, normalised table as JSON Schema: defaults are filled in by then, so fields
 * that have one are required. The Worker checks what it reads from KV against this (committed as
 * `src/store/table-shape.json`, kept equal to this by `test/store/table-shape.test.ts`) so that it does
 * not have to bundle zod.
 */
export function normalisedTableJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(RouteTableSchema, { target: "draft-7", io: "output" }) as Record<string, unknown>;
}
