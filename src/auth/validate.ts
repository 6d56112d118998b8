/**
 * What `gatehouse validate` should say about `providers` and rule `auth` beyond shapes and references
 * (those are checked in `src/config`). Pure: no Workers globals, the CLI runs it in Node.
 *
 * Errors are tables the gateway would run fail-closed (every token refused) or unsafely; warnings are
 * tables that work but are weaker than they look.
 */
import type { RouteTable } from "../config/schema.ts";
import { algorithmsForJwk, isHmac } from "./algorithms.ts";

export interface AuthFinding {
  /** `["providers", "accounts", "algorithms", 0]`. */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export interface AuthFindings {
  readonly errors: AuthFinding[];
  readonly warnings: AuthFinding[];
}

const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/** Headers an identity mapping must never overwrite: they carry the request itself. */
const RESERVED_HEADERS = new Set([
  "host",
  "authorization",
  "cookie",
  "content-length",
  "content-type",
  "content-encoding",
  "transfer-encoding",
  "connection",
  "upgrade",
  "te",
  "trailer",
  "keep-alive",
  "x-request-id",
  "traceparent",
  "tracestate",
]);

export function authFindings(table: RouteTable): AuthFindings {
  const errors: AuthFinding[] = [];
  const warnings: AuthFinding[] = [];

  for (const [name, provider] of Object.entries(table.providers)) {
    const at = (...rest: (string | number)[]) => ["providers", name, ...rest];
    const sources = (["remoteJWKS", "localJWKS", "secret"] as const).filter((s) => provider[s] !== undefined);
    if (sources.length !== 1) {
      errors.push({
        path: at(),
        message:
          sources.length === 0
            ? "needs one of remoteJWKS, localJWKS or secret"
            : `names ${sources.join(" and ")}: exactly one key source is allowed`,
      });
    }
    const hmacProvider = sources.length === 1 && sources[0] === "secret";
    provider.algorithms?.forEach((alg, i) => {
      if (sources.length !== 1) return;
      if (isHmac(alg) && !hmacProvider) {
        errors.push({
          path: at("algorithms", i),
          message: `${alg} needs a secret provider: HMAC keys are never taken from a key set`,
        });
      } else if (!isHmac(alg) && hmacProvider) {
        errors.push({
          path: at("algorithms", i),
          message: `${alg} needs a key set (remoteJWKS or localJWKS): a secret provider verifies HS256/HS384/HS512 only`,
        });
      }
    });
    provider.localJWKS?.keys.forEach((jwk, i) => {
      const problem = localKeyProblem(jwk);
      if (problem) errors.push({ path: at("localJWKS", "keys", i), message: problem });
    });
    provider.claimToHeaders?.forEach((mapping, i) => {
      if (RESERVED_HEADERS.has(mapping.header.toLowerCase())) {
        errors.push({
          path: at("claimToHeaders", i, "header"),
          message: `"${mapping.header}" carries the request itself and cannot hold a claim`,
        });
      }
    });
    if (provider.issuer === undefined) {
      warnings.push({
        path: at("issuer"),
        message: "not set: tokens from any issuer that holds these keys pass",
      });
    }
  }

  table.routes.forEach((route, r) => {
    route.rules.forEach((rule, j) => {
      const auth = rule.auth;
      if (!auth) return;
      const at = (...rest: (string | number)[]) => ["routes", r, "rules", j, "auth", ...rest];
      const provider = table.providers[auth.provider];
      if (provider && provider.audiences === undefined && auth.audiences === undefined) {
        warnings.push({
          path: at("audiences"),
          message: "not set here nor on the provider: a token minted for any other service opens this one",
        });
      }
      auth.requiredScopes?.forEach((scope, i) => {
        if (/\s/.test(scope)) {
          errors.push({ path: at("requiredScopes", i), message: "a scope cannot contain whitespace" });
        }
      });
    });
  });
  return { errors, warnings };
}

function localKeyProblem(jwk: Record<string, unknown>): string | undefined {
  if (jwk.kty === "oct")
    return "a symmetric key (kty oct) belongs in a Worker secret (provider.secret), never in the table";
  const secret = PRIVATE_MEMBERS.find((m) => jwk[m] !== undefined);
  if (secret) return `contains private key material ("${secret}"): put only public keys in the table`;
  if (jwk.use !== undefined && jwk.use !== "sig")
    return `has use "${String(jwk.use)}": only signing keys verify tokens`;
  if (jwk.kid !== undefined && typeof jwk.kid !== "string") return "kid must be a string";
  if (algorithmsForJwk(jwk).length === 0) {
    return "is not a public signing key Gatehouse verifies (RSA, EC P-256/P-384/P-521, OKP Ed25519)";
  }
  return undefined;
}
