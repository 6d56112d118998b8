/**
 * The route table as a JSON Schema (draft-07, the dialect editors support best), generated from the
 * zod schema so the two cannot drift, with descriptions for editor hovers. Written to
 * `schema/route-table.schema.json` by `npm run schema:export`; a test keeps the committed file fresh.
 *
 * The JSON Schema checks shapes only: references, regular expressions, hostnames and the other meaning checks
 * are `gatehouse validate`'s.
 */
import { z } from "zod";
import { RouteTableSchema } from "./schema.ts";

type JsonSchema = { [key: string]: unknown };

/**
 * Hover texts, by field path: `.` between fields, `[]` for list items, `*` for the entries of a map
 * (providers and clusters by name). Every path here must exist in the schema (checked on generation).
 */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  "": "A Gatehouse route table. Reference: docs/route-table.md. Check it with `gatehouse validate FILE`.",
  version: "Schema version: always 1.",
  paths: "Table-wide path handling (extension).",
  "paths.allowEncodedSlashes":
    "Accept %2F and %5C in request paths (kept encoded, never treated as separators). Default false: refused with 400.",
  tls: "Edge TLS policy defaults; a route's own tls overrides them field by field.",
  "tls.httpsRedirect": "Answer plain-HTTP requests with a redirect to https (308; see redirectStatusCode).",
  "tls.redirectStatusCode":
    "Status of the HTTPS redirect for GET and HEAD: 308 (default) or 301. Other methods always get 308.",
  "tls.hsts": "Strict-Transport-Security on HTTPS responses, or false for none.",
  "tls.minVersion": "Lowest TLS version accepted; older clients get 426.",
  "tls.clientCertificate": "Client certificates (mTLS) checked at the edge.",
  providers: "JWT issuers, by name. Rules refer to them in auth.provider.",
  "providers.*": "A JWT issuer: exactly one of remoteJWKS, localJWKS or secret.",
  "providers.*.issuer":
    "Required `iss` claim. Without it, tokens from any issuer that holds these keys pass.",
  "providers.*.audiences": "Accepted `aud` values; a rule's auth.audiences may narrow them.",
  "providers.*.remoteJWKS": "Public keys fetched from a JWKS URL (asymmetric algorithms only).",
  "providers.*.remoteJWKS.uri": "The JWKS URL.",
  "providers.*.remoteJWKS.timeout": "Fetch timeout for the key set (duration).",
  "providers.*.remoteJWKS.cacheDuration": "How long fetched keys are used before a refresh (duration).",
  "providers.*.remoteJWKS.staleDuration":
    "How long the last good keys keep working while the JWKS URL fails (duration).",
  "providers.*.remoteJWKS.maxBytes": "Largest JWKS response accepted.",
  "providers.*.localJWKS":
    "Public keys inline in the table (asymmetric algorithms only; never private keys).",
  "providers.*.secret":
    "HMAC key read from a Worker secret binding (HS256/HS384/HS512 only). Never in the table.",
  "providers.*.secret.binding": "Name of the Worker secret whose UTF-8 text is the HMAC key.",
  "providers.*.algorithms": "Allowed JWS algorithms; `none` is never accepted.",
  "providers.*.clockSkew": "Tolerance for exp, nbf and iat (duration).",
  "providers.*.requireExpiration": "Refuse tokens without `exp` (default true).",
  "providers.*.maxTokenBytes": "Tokens longer than this are refused before any parsing.",
  "providers.*.extractFrom": "Where the token is taken from. Default: Authorization: Bearer.",
  "providers.*.claimToHeaders":
    "Claims copied into request headers for the origin; these headers are removed from every incoming request first.",
  "providers.*.forwardToken": "Whether the token itself reaches the origin (extension).",
  clusters: "Origin clusters, by name. Rules send to them in backendRefs.",
  "clusters.*": "An origin cluster: endpoints, transport, load balancing and health.",
  "clusters.*.endpoints": "The cluster's endpoints.",
  "clusters.*.endpoints[].url": "Origin URL: scheme, host and port only (no path, query or credentials).",
  "clusters.*.endpoints[].weight": "Share of the cluster's traffic (default 1; 0 = none).",
  "clusters.*.endpoints[].name": "Stable name for logs, affinity and status (extension; default: the URL).",
  "clusters.*.transport": "How the worker reaches the endpoints: direct, vpc or access.",
  "clusters.*.loadBalancer": "RoundRobin (default), Random, or ConsistentHash on exactly one key.",
  "clusters.*.healthCheck":
    "Endpoint health: passive (eject after consecutive gateway errors) and active (probe on a schedule).",
  "clusters.*.healthCheck.active":
    "Probe every endpoint with GET path once per interval (whole minutes); thresholds flip the verdict.",
  "clusters.*.healthCheck.active.expectedStatuses": "Probe answers that count as a success (default [200]).",
  "clusters.*.hostname": "Host header the origin sees, instead of the endpoint URL's host (extension).",
  routes: "The routes. Candidates are ordered by hostname specificity, then Gateway API match precedence.",
  "routes[]": "A route: hostnames and rules.",
  "routes[].id":
    "Unique route id (a name, or `namespace/name` for a route imported from Kubernetes); shows in logs, errors and `gatehouse explain`.",
  "routes[].hostnames": "DNS names or *.wildcards the route serves. Omitted or empty: every host.",
  "routes[].tls": "This route's TLS policy, overriding the table's field by field.",
  "routes[].rules": "The route's rules.",
  "routes[].trustRequestId": "Keep a client's X-Request-Id instead of generating one (extension).",
  "routes[].serverTiming":
    "Add a Server-Timing header (gateway, upstream and auth time) to this route's responses (extension).",
  "routes[].rules[].name": "Optional rule name, unique within the route.",
  "routes[].rules[].matches": "OR of matches; each is an AND of its parts. Omitted: PathPrefix /.",
  "routes[].rules[].matches[].path":
    "Path match: Exact, PathPrefix (element-wise) or RegularExpression (anchored).",
  "routes[].rules[].matches[].path.type": "Exact, PathPrefix (default) or RegularExpression.",
  "routes[].rules[].matches[].path.value": "Path or pattern, matched against the normalised path.",
  "routes[].rules[].matches[].method": "HTTP method the request must have.",
  "routes[].rules[].matches[].headers": "Header conditions (names case-insensitive).",
  "routes[].rules[].matches[].queryParams": "Query parameter conditions (names case-sensitive).",
  "routes[].rules[].filters": "Gateway API filters, applied in order.",
  "routes[].rules[].backendRefs": "Clusters by name, with weights. Omitted: the rule answers 500.",
  "routes[].rules[].backendRefs[].name": "A cluster name from `clusters`.",
  "routes[].rules[].backendRefs[].weight": "Share of the rule's traffic (default 1; 0 = none).",
  "routes[].rules[].auth": "JWT verification for this rule. Omitted: the rule is public.",
  "routes[].rules[].auth.provider": "A provider name from `providers`.",
  "routes[].rules[].auth.audiences": "Narrows the provider's audiences: this service's tokens only.",
  "routes[].rules[].auth.requiredScopes": "Scopes the token must carry (`scope` string or `scp` list).",
  "routes[].rules[].auth.requiredClaims": "Claims the token must carry, with accepted values.",
  "routes[].rules[].timeouts": "request (whole exchange) and backendRequest (one attempt); 0s disables.",
  "routes[].rules[].retry": "Retries of replayable requests on the listed status codes.",
  "routes[].rules[].sessionPersistence": "Keep a client on its endpoint with a signed cookie or header.",
};

/** The JSON Schema of a route table file, as committed in `schema/route-table.schema.json`. */
export function routeTableJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(RouteTableSchema, { target: "draft-7", io: "input" }) as JsonSchema;
  dropNonStandardFormats(schema);
  const used = new Set<string>();
  describe(schema, "", used);
  const unused = Object.keys(DESCRIPTIONS).filter((path) => !used.has(path));
  if (unused.length > 0)
    throw new Error(`descriptions for fields the schema does not have: ${unused.join(", ")}`);
  const { $schema, ...rest } = schema;
  return { $schema, title: "Gatehouse route table", ...rest };
}

/** Sets descriptions in place; union branches share their parent's path but not its description. */
function describe(node: unknown, path: string, used: Set<string>, isBranch = false): void {
  if (typeof node !== "object" || node === null) return;
  const schema = node as JsonSchema;
  const text = DESCRIPTIONS[path];
  if (text !== undefined && !isBranch) {
    schema.description = text;
    used.add(path);
  }
  const join = (key: string) => (path ? `${path}.${key}` : key);
  if (isObject(schema.properties)) {
    for (const [key, child] of Object.entries(schema.properties)) describe(child, join(key), used);
  }
  if (isObject(schema.additionalProperties)) describe(schema.additionalProperties, join("*"), used);
  if (isObject(schema.items)) describe(schema.items, `${path}[]`, used);
  for (const branches of [schema.anyOf, schema.oneOf]) {
    if (Array.isArray(branches)) for (const branch of branches) describe(branch, path, used, true);
  }
}

/** draft-07's formats; zod also writes its own (`starts_with`), which strict validators reject. */
const STANDARD_FORMATS = new Set([
  "date-time",
  "date",
  "time",
  "email",
  "idn-email",
  "hostname",
  "idn-hostname",
  "ipv4",
  "ipv6",
  "uri",
  "uri-reference",
  "iri",
  "iri-reference",
  "uri-template",
  "json-pointer",
  "relative-json-pointer",
  "regex",
]);

/** In place. A dropped format loses nothing: zod writes the same rule as a `pattern` beside it. */
function dropNonStandardFormats(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) dropNonStandardFormats(item);
    return;
  }
  if (!isObject(node)) return;
  if (typeof node.format === "string" && !STANDARD_FORMATS.has(node.format)) delete node.format;
  for (const child of Object.values(node)) dropNonStandardFormats(child);
}

function isObject(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
