/**
 * The edge TLS policy stage: runs right after the route match, before auth, on what Cloudflare observed
 * of the client's connection (the URL's scheme, `request.cf.tlsVersion`, `request.cf.tlsClientAuth`).
 *
 *   plain HTTP   httpsRedirect → 308 (or 301 for GET/HEAD); else a policy that needs TLS (minVersion,
 *                clientCertificate Require) → 403 https_required; else forwarded, with no HSTS and no
 *                client identity.
 *   HTTPS        minVersion not met (or not reported) → 426 tls_version_too_low;
 *                clientCertificate Require and no acceptable certificate → 403 client_certificate_required;
 *                an acceptable certificate (Require or Optional) → XFCC in `forwardHeader`.
 *
 * The forward header is cleared on every route with a client-certificate policy before anything is set,
 * so the origin only ever sees a value the gateway wrote. See docs/tls.md.
 */
import type { TlsPolicy } from "../config/schema.ts";
import type { UpstreamDraft } from "../gateway/draft.ts";
import { errorResponse } from "../gateway/errors.ts";
import {
  type ClientCertificateMode,
  judgeClientCertificate,
  normalizeFingerprint,
} from "./client-certificate.ts";
import { formatHsts } from "./hsts.ts";
import { httpsRedirect, httpsRequired, type RedirectStatus } from "./https-redirect.ts";
import { isAtLeast, parseTlsVersion, type TlsVersion, upgradeTokens } from "./tls-version.ts";
import { formatXfccElement } from "./xfcc.ts";

export type TlsDecision = { ok: true; hsts: string | undefined } | { ok: false; response: Response };

export interface TlsInput {
  /** The rule's effective policy (table defaults overridden field by field by the route's). */
  policy: TlsPolicy | undefined;
  request: Request;
  url: URL;
  draft: UpstreamDraft;
  requestId: string;
}

export const DEFAULT_FORWARD_HEADER = "x-forwarded-client-cert";

/** A policy with everything that does not depend on the request worked out once. */
export interface CompiledTlsPolicy {
  readonly httpsRedirect: RedirectStatus | undefined;
  readonly hsts: string | undefined;
  readonly minVersion: TlsVersion | undefined;
  readonly upgrade: string | undefined;
  readonly clientCertificate:
    | {
        readonly mode: ClientCertificateMode;
        readonly allowed: ReadonlySet<string> | undefined;
        readonly forwardHeader: string;
      }
    | undefined;
  /** Plain HTTP is refused rather than forwarded: the policy asks for something only TLS can give. */
  readonly requiresTls: boolean;
}

/**
 * Keyed by the policy object itself: the routing core builds one effective policy per rule per table,
 * so this compiles each once and forgets it with the table.
 */
const compiled = new WeakMap<TlsPolicy, CompiledTlsPolicy>();

export function compileTlsPolicy(policy: TlsPolicy): CompiledTlsPolicy {
  let c = compiled.get(policy);
  if (c) return c;
  const cert = policy.clientCertificate;
  c = {
    httpsRedirect: policy.httpsRedirect ? (policy.redirectStatusCode ?? 308) : undefined,
    hsts: formatHsts(policy.hsts),
    minVersion: policy.minVersion,
    upgrade: policy.minVersion && upgradeTokens(policy.minVersion),
    clientCertificate: cert && {
      mode: cert.mode,
      allowed: cert.fingerprintsSHA256 && new Set(cert.fingerprintsSHA256.map(normalizeFingerprint)),
      forwardHeader: (cert.forwardHeader ?? DEFAULT_FORWARD_HEADER).toLowerCase(),
    },
    requiresTls: policy.minVersion !== undefined || cert?.mode === "Require",
  };
  compiled.set(policy, c);
  return c;
}

export function enforceTlsPolicy(input: TlsInput): TlsDecision {
  const { policy, request, url, draft, requestId } = input;
  if (!policy) return { ok: true, hsts: undefined };
  const p = compileTlsPolicy(policy);
  const cert = p.clientCertificate;
  if (cert) draft.headers.delete(cert.forwardHeader);

  if (url.protocol !== "https:") {
    if (p.httpsRedirect) {
      return { ok: false, response: httpsRedirect(url, request.method, p.httpsRedirect, requestId) };
    }
    if (p.requiresTls) return { ok: false, response: httpsRequired(url, requestId) };
    return { ok: true, hsts: undefined };
  }

  const cf = request.cf as { tlsVersion?: unknown; tlsClientAuth?: unknown } | undefined;
  if (p.minVersion) {
    const version = parseTlsVersion(cf?.tlsVersion);
    if (!version || !isAtLeast(version, p.minVersion)) {
      // Unknown counts as too low: a policy that cannot be checked is not met.
      const seen = version ? `TLS ${version}` : "an unreported TLS version";
      return {
        ok: false,
        response: refusal(
          426,
          "tls_version_too_low",
          `this route requires TLS ${p.minVersion} or later; the connection used ${seen}`,
          requestId,
          p.hsts,
          { upgrade: p.upgrade! },
        ),
      };
    }
  }

  if (cert && cert.mode !== "Off") {
    const verdict = judgeClientCertificate(cf?.tlsClientAuth, cert.allowed);
    if (verdict.accepted) {
      draft.headers.set(cert.forwardHeader, formatXfccElement(verdict.certificate));
    } else if (cert.mode === "Require") {
      return {
        ok: false,
        response: refusal(
          403,
          "client_certificate_required",
          `this route requires a valid client certificate: ${verdict.reason}`,
          requestId,
          p.hsts,
        ),
      };
    }
  }
  return { ok: true, hsts: p.hsts };
}

/** The gateway's own refusals over HTTPS carry HSTS like every other HTTPS answer on the route. */
function refusal(
  status: number,
  code: "tls_version_too_low" | "client_certificate_required",
  message: string,
  requestId: string,
  hsts: string | undefined,
  extra: Record<string, string> = {},
): Response {
  const headers: Record<string, string> = { ...extra };
  if (hsts) headers["strict-transport-security"] = hsts;
  return errorResponse(status, code, message, requestId, headers);
}
