/**
 * TLS versions as Cloudflare reports them in `request.cf.tlsVersion` ("TLSv1", "TLSv1.1", "TLSv1.2",
 * "TLSv1.3": OpenSSL's names, where 1.0 is plain "TLSv1") and as the route table writes them ("1.2").
 */
import { TLS_VERSIONS } from "../config/constants.ts";

/** Oldest first, as `TLS_VERSIONS` lists them (the schema's `minVersion` enum is built from it too). */
export type TlsVersion = (typeof TLS_VERSIONS)[number];

const CLOUDFLARE_NAMES: Readonly<Record<string, TlsVersion>> = {
  TLSv1: "1.0",
  "TLSv1.0": "1.0",
  "TLSv1.1": "1.1",
  "TLSv1.2": "1.2",
  "TLSv1.3": "1.3",
};

/** The version of the client's connection to Cloudflare, or undefined when Cloudflare did not say. */
export function parseTlsVersion(reported: unknown): TlsVersion | undefined {
  return typeof reported === "string" ? CLOUDFLARE_NAMES[reported] : undefined;
}

export function isAtLeast(version: TlsVersion, minimum: TlsVersion): boolean {
  return TLS_VERSIONS.indexOf(version) >= TLS_VERSIONS.indexOf(minimum);
}

/**
 * The `Upgrade` value of a 426 (RFC 9110 §15.5.22 requires one): every acceptable version, the most
 * preferred first, as IANA's upgrade tokens (`TLS/1.3, TLS/1.2`).
 */
export function upgradeTokens(minimum: TlsVersion): string {
  return TLS_VERSIONS.filter((v) => isAtLeast(v, minimum))
    .reverse()
    .map((v) => `TLS/${v}`)
    .join(", ");
}
