/**
 * Mutual TLS at the edge. Cloudflare checks the client certificate against the zone's CA during the
 * handshake and reports the outcome in `request.cf.tlsClientAuth`; this module only judges that report
 * against the route's policy. A certificate is accepted when Cloudflare presented it, verified it
 * (`certVerified === "SUCCESS"`), did not find it revoked, and — when the route lists fingerprints —
 * its SHA-256 fingerprint is on the list.
 */
import type { XfccElement } from "./xfcc.ts";

export type ClientCertificateMode = "Require" | "Optional" | "Off";

export type CertificateVerdict =
  | { readonly accepted: true; readonly certificate: XfccElement }
  | { readonly accepted: false; readonly reason: string };

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** `AB:CD:…` and `abcd…` name the same fingerprint: lower-case hex, no colons. */
export function normalizeFingerprint(fingerprint: string): string {
  return fingerprint.replaceAll(":", "").toLowerCase();
}

/** The subset of `IncomingRequestCfPropertiesTLSClientAuth` that the policy reads. */
interface ReportedClientAuth {
  certPresented?: unknown;
  certVerified?: unknown;
  certRevoked?: unknown;
  certFingerprintSHA256?: unknown;
  certSubjectDNRFC2253?: unknown;
  certSubjectDN?: unknown;
}

/**
 * @param reported `request.cf.tlsClientAuth` (absent when the hostname has no mTLS enabled in the zone)
 * @param allowed normalised fingerprints, or undefined to accept any verified certificate
 */
export function judgeClientCertificate(
  reported: unknown,
  allowed: ReadonlySet<string> | undefined,
): CertificateVerdict {
  const auth = (typeof reported === "object" && reported !== null ? reported : {}) as ReportedClientAuth;
  if (auth.certPresented !== "1") {
    return { accepted: false, reason: "no client certificate was presented" };
  }
  if (auth.certVerified !== "SUCCESS") {
    const outcome = typeof auth.certVerified === "string" ? auth.certVerified : "unknown";
    return { accepted: false, reason: `the client certificate was not verified (${outcome})` };
  }
  if (auth.certRevoked === "1") {
    return { accepted: false, reason: "the client certificate has been revoked" };
  }
  const hash =
    typeof auth.certFingerprintSHA256 === "string" ? normalizeFingerprint(auth.certFingerprintSHA256) : "";
  if (!SHA256_HEX.test(hash)) {
    return { accepted: false, reason: "the client certificate has no SHA-256 fingerprint" };
  }
  if (allowed && !allowed.has(hash)) {
    return { accepted: false, reason: "the client certificate is not on this route's allow-list" };
  }
  const subject = firstString(auth.certSubjectDNRFC2253, auth.certSubjectDN);
  return { accepted: true, certificate: { hash, subject } };
}

function firstString(...values: unknown[]): string {
  for (const v of values) if (typeof v === "string" && v !== "") return v;
  return "";
}
