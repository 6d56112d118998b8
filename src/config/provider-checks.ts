/**
 * JWT providers: exactly one key source, and algorithms that fit it. HMAC algorithms verify with a
 * shared secret and asymmetric ones with public keys; a provider accepting both kinds would let a token
 * signed with HS256 over the *public* key pass (algorithm confusion), so each provider is one kind only.
 */
import { type FieldPath, type ProblemReport, quote } from "./problems.ts";
import type { Provider } from "./schema.ts";
import type { TableView } from "./table-view.ts";

const KEY_SOURCES = ["remoteJWKS", "localJWKS", "secret"] as const;
const HMAC = /^HS\d+$/;
/** Members that only a private (or symmetric) JWK has: they must never be published in a route table. */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
const PUBLIC_KEY_TYPES = new Set(["RSA", "EC", "OKP"]);
/** Claims to headers must not overwrite what carries the request itself. */
const RESERVED_CLAIM_HEADERS = new Set([
  "host",
  "authorization",
  "cookie",
  "connection",
  "content-length",
  "content-type",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
  "keep-alive",
]);

export function checkProviders(view: TableView, report: ProblemReport): void {
  for (const [name, provider] of view.providers) {
    if (provider) checkProvider(provider, ["providers", name], report);
  }
}

function checkProvider(provider: Provider, path: FieldPath, report: ProblemReport): void {
  const sources = KEY_SOURCES.filter((source) => provider[source] !== undefined);
  if (sources.length !== 1) {
    report.error(
      path,
      `must have exactly one of remoteJWKS, localJWKS, secret (${sources.length === 0 ? "has none" : `has ${sources.join(" and ")}`})`,
    );
  }
  const source = sources.length === 1 ? sources[0] : undefined;

  if (source) {
    provider.algorithms?.forEach((algorithm, i) => {
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

  provider.localJWKS?.keys.forEach((key, i) => {
    const keyPath: FieldPath = [...path, "localJWKS", "keys", i];
    if (!PUBLIC_KEY_TYPES.has(key.kty)) {
      report.error(
        [...keyPath, "kty"],
        `${quote(key.kty)} keys are not allowed in localJWKS (RSA, EC or OKP public keys; HMAC keys go in secret: {binding})`,
      );
    }
    const secretMembers = PRIVATE_MEMBERS.filter((member) => member in key);
    if (secretMembers.length > 0) {
      report.error(
        keyPath,
        `holds private key material (${secretMembers.map(quote).join(", ")}): publish only public keys in a route table`,
      );
    }
  });

  const extract = provider.extractFrom;
  if (extract && !extract.headers?.length && !extract.cookies?.length && !extract.params?.length) {
    report.error(
      [...path, "extractFrom"],
      "names no header, cookie or query parameter to take the token from",
    );
  }

  const headers = new Map<string, number>();
  provider.claimToHeaders?.forEach((mapping, i) => {
    const at: FieldPath = [...path, "claimToHeaders", i, "header"];
    const lower = mapping.header.toLowerCase();
    if (RESERVED_CLAIM_HEADERS.has(lower))
      report.error(at, `${quote(mapping.header)} cannot be set from a claim`);
    const first = headers.get(lower);
    if (first !== undefined)
      report.error(at, `${quote(mapping.header)} is already set by claimToHeaders[${first}]`);
    else headers.set(lower, i);
  });
}
