import { describe, expect, it } from "vitest";
import { judgeClientCertificate, normalizeFingerprint } from "../../src/tls/client-certificate.ts";

const FP = "3f7a1c0e9b5d2f4a6c8e0b1d3f5a7c9e1b3d5f7a9c0e2b4d6f8a0c1e3b5d7f9a";
const verified = {
  certPresented: "1",
  certVerified: "SUCCESS",
  certRevoked: "0",
  certFingerprintSHA256: FP,
  certSubjectDN: "CN=client, O=Acme",
  certSubjectDNRFC2253: "CN=client,O=Acme",
};

describe("client certificate judgement", () => {
  it("accepts a presented, verified, unrevoked certificate and prefers the RFC 2253 subject", () => {
    expect(judgeClientCertificate(verified, undefined)).toEqual({
      accepted: true,
      certificate: { hash: FP, subject: "CN=client,O=Acme" },
    });
  });

  it("falls back to certSubjectDN when the RFC 2253 form is empty", () => {
    const v = judgeClientCertificate({ ...verified, certSubjectDNRFC2253: "" }, undefined);
    expect(v.accepted && v.certificate.subject).toBe("CN=client, O=Acme");
  });

  it.each([
    ["no tlsClientAuth at all", undefined, "no client certificate was presented"],
    ["Cloudflare's placeholder", { certPresented: "0", certVerified: "NONE" }, "no client certificate"],
    [
      "a failed verification",
      { ...verified, certVerified: "FAILED:self signed certificate" },
      "not verified (FAILED:self signed certificate)",
    ],
    ["a revoked certificate", { ...verified, certRevoked: "1" }, "revoked"],
    ["no fingerprint", { ...verified, certFingerprintSHA256: "" }, "no SHA-256 fingerprint"],
  ])("refuses %s", (_name, reported, reason) => {
    const v = judgeClientCertificate(reported, undefined);
    expect(v.accepted).toBe(false);
    expect(!v.accepted && v.reason).toContain(reason);
  });

  it("checks the allow-list whatever the case or colons", () => {
    const colons = FP.toUpperCase().match(/../g)!.join(":");
    const allowed = new Set([normalizeFingerprint(colons)]);
    expect(judgeClientCertificate(verified, allowed).accepted).toBe(true);
    expect(
      judgeClientCertificate({ ...verified, certFingerprintSHA256: FP.toUpperCase() }, allowed).accepted,
    ).toBe(true);
    const other = judgeClientCertificate({ ...verified, certFingerprintSHA256: "ab".repeat(32) }, allowed);
    expect(!other.accepted && other.reason).toContain("allow-list");
  });
});
