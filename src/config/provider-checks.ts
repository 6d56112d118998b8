/**
 * JWT providers and rule `auth`: exactly one key source per provider, and algorithms that fit it. HMAC
 * algorithms verify with a shared secret and asymmetric ones with public keys; a provider accepting
 * both kinds would let a token signed with HS256 over the *public* key pass (algorithm confusion), so
 * each provider is one kind only. Errors are tables the gateway would run fail-closed (no token could
 * pass) or unsafely; warnings are tables that work but are weaker than they look.
 */
import type { JWK } from "jose";
import { algorithmsForJwk } from "../auth/algorithms.ts";
import { mayVerify } from "../auth/jwks-document.ts";
import { type FieldPath, type ProblemReport, quote } from "./problems.ts";
import type { Auth, Provider } from "./schema.ts";
import type { Salvaged, TableView } from "./table-view.ts";

const KEY_SOURCES = ["remoteJWKS", "localJWKS", "secret"] as const;
const HMAC = /^HS\d+$/;
/** Members that only a private (or symmetric) JWK has: they must never be published in a route table. */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
/** Claims to headers must not overwrite what carries the request itself. */
const RESERVED_CLAIM_HEADERS = new Set([
  "host",
  "authorization",
  "cookie",
  "connection",
  "content-length",
  "content-type",
  "content-encoding",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
  "keep-alive",
  "x-request-id",
  "traceparent",
  "tracestate",
]);

export function checkProviders(view: TableView, report: ProblemReport): void {
  for (const [name, provider] of view.providers) {
    if (provider) checkProvider(provider, view, ["providers", name], report);
  }
  for (const route of view.routes) {
    route.rules.forEach((rule, i) => {
      if (rule?.auth) checkRuleAuth(rule.auth, view, ["routes", route.index, "rules", i, "auth"], report);
    });
  }
}

function checkProvider(
  provider: Salvaged<Provider>,
  view: TableView,
  path: FieldPath,
  report: ProblemReport,
): void {
  // Conclusions from absent fields only hold where nothing malformed was dropped.
  const complete = !view.incomplete(provider);
  const sources = KEY_SOURCES.filter((source) => provider[source] !== undefined);
  if (complete && sources.length !== 1) {
    report.error(
      path,
      `must have exactly one of remoteJWKS, localJWKS, secret (${sources.length === 0 ? "has none" : `has ${sources.join(" and ")}`})`,
    );
  }
  const source = complete && sources.length === 1 ? sources[0] : undefined;

  if (source) {
    provider.algorithms?.forEach((algorithm, i) => {
      if (algorithm === undefined) return;
      const hmac = HMAC.test(algorithm);
      if (hmac && source !== "secret") {
        report.error(
          [...path, "algorithms", i],
          `${algorithm} is an HMAC algorithm: only a secret provider may accept it (a ${source} provider accepts asymmetric algorithms only)`,
        );
      } else if (!hmac && source === "secret") {
        report.error(
          [...path, "algorithms", i],
          `${algorithm} is asymmetric: a secret provider accepts only HS256, HS384 and HS512`,
        );
      }
    });
  }

  if (complete && provider.issuer === undefined) {
    report.warn([...path, "issuer"], "not set: tokens from any issuer that holds these keys pass");
  }

  const verifiable = new Set<string>();
  let refusedKeys = 0;
  provider.localJWKS?.keys.forEach((key, i) => {
    if (!key) return;
    const keyPath: FieldPath = [...path, "localJWKS", "keys", i];
    const problem = localKeyProblem(key);
    const at = problem?.field ? [...keyPath, problem.field] : keyPath;
    if (problem?.skipped) report.warn(at, `${problem.message}: this key is skipped`);
    else if (problem) {
      report.error(at, problem.message);
      refusedKeys++;
    } else for (const algorithm of algorithmsForJwk(key as JWK)) verifiable.add(algorithm);
  });
  // Keys the gateway skips leave a set that may verify nothing (refused keys are reported already).
  if (source === "localJWKS" && complete && refusedKeys === 0 && verifiable.size === 0) {
    report.error(
      [...path, "localJWKS", "keys"],
      "no key can verify a signature (every one is skipped): no token could pass",
    );
  }
  const algorithms = provider.algorithms?.filter((a) => a !== undefined) ?? [];
  if (source === "localJWKS" && algorithms.length > 0 && verifiable.size > 0) {
    if (!algorithms.some((algorithm) => verifiable.has(algorithm))) {
      report.error(
        [...path, "algorithms"],
        `no key in localJWKS verifies ${algorithms.join(", ")} (the keys verify ${[...verifiable].join(", ")}): no token could pass`,
      );
    }
  }

  const extract = provider.extractFrom;
  if (
    extract &&
    !view.incomplete(extract) &&
    !extract.headers?.length &&
    !extract.cookies?.length &&
    !extract.params?.length
  ) {
    report.error(
      [...path, "extractFrom"],
      "names no header, cookie or query parameter to take the token from",
    );
  }

  const headers = new Map<string, number>();
  provider.claimToHeaders?.forEach((mapping, i) => {
    if (!mapping) return;
    const at: FieldPath = [...path, "claimToHeaders", i, "header"];
    const lower = mapping.header.toLowerCase();
    if (RESERVED_CLAIM_HEADERS.has(lower))
      report.error(at, `${quote(mapping.header)} carries the request itself and cannot hold a claim`);
    const first = headers.get(lower);
    if (first !== undefined)
      report.error(at, `${quote(mapping.header)} is already set by claimToHeaders[${first}]`);
    else headers.set(lower, i);
  });
}

/**
 * What is wrong with one inline JWK, if anything; `field` narrows the path when one member is at fault.
 * `skipped`: a key an issuer may well publish in its set that cannot verify here, which the gateway
 * leaves out exactly as it does from a fetched set (`auth/jwks-document.ts`): a warning. Otherwise the
 * table itself is wrong (secret material in it, a malformed member): an error.
 */
function localKeyProblem(
  key: Record<string, unknown>,
): { field?: string; message: string; skipped?: true } | undefined {
  if (key.kty === "oct") {
    return {
      field: "kty",
      message: '"oct" (symmetric) keys belong in a Worker secret (secret: {binding}), never in the table',
    };
  }
  const secretMembers = PRIVATE_MEMBERS.filter((member) => key[member] !== undefined);
  if (secretMembers.length > 0) {
    return {
      message: `holds private key material (${secretMembers.map(quote).join(", ")}): publish only public keys in a route table`,
    };
  }
  if (key.kid !== undefined && typeof key.kid !== "string")
    return { field: "kid", message: "must be a string" };
  if (key.use !== undefined && key.use !== "sig") {
    return {
      field: "use",
      message: `is ${quote(String(key.use))}: only signing keys ("sig") verify tokens`,
      skipped: true,
    };
  }
  if (!mayVerify(key.key_ops)) {
    return {
      field: "key_ops",
      message: 'does not include "verify": the key may not verify tokens (RFC 7517 §4.3)',
      skipped: true,
    };
  }
  if (algorithmsForJwk(key as JWK).length === 0) {
    const curve = (key.kty === "EC" || key.kty === "OKP") && typeof key.crv === "string";
    return {
      ...(curve ? { field: "crv" } : typeof key.alg === "string" ? { field: "alg" } : {}),
      message: curve
        ? `${quote(String(key.crv))} is not a curve Gatehouse verifies with (EC P-256/P-384/P-521, OKP Ed25519)`
        : "is not a public signing key Gatehouse verifies (RSA, EC P-256/P-384/P-521, OKP Ed25519)",
      skipped: true,
    };
  }
  return undefined;
}

function checkRuleAuth(auth: Salvaged<Auth>, view: TableView, path: FieldPath, report: ProblemReport): void {
  const provider = view.providers.get(auth.provider);
  if (
    provider &&
    !view.incomplete(provider) &&
    !view.incomplete(auth) &&
    !provider.audiences?.length &&
    !auth.audiences?.length
  ) {
    report.warn(
      [...path, "audiences"],
      "not set here nor on the provider: a token minted for any other service of this issuer opens this one",
    );
  }
  auth.requiredScopes?.forEach((scope, i) => {
    if (scope !== undefined && /\s/.test(scope))
      report.error([...path, "requiredScopes", i], "a scope cannot contain whitespace");
  });
}
