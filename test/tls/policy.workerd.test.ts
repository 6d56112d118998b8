/**
 * The edge TLS policy inside workerd, through the real pipeline, with `request.cf` set per request as
 * Cloudflare would. Refusals (redirects, 403, 426) never reach the data path, so they are checked end to
 * end; what the origin receives (XFCC) is checked on the stage's draft and at a real pod.
 */
import { describe, expect, it } from "vitest";
import type { RouteTableInput } from "../../src/config/schema.ts";
import { TlsPolicySchema } from "../../src/config/schema.ts";
import type { UpstreamDraft } from "../../src/gateway/draft.ts";
import { prepareUpstreamHeaders } from "../../src/gateway/strip-headers.ts";
import { enforceTlsPolicy } from "../../src/tls/policy.ts";
import { gatewayFetch, gatewayFor } from "../support/gateway.ts";
import { podRequests, podUrl, resetPod } from "../support/origins.ts";
import type { PodEcho } from "../transport/data-path.ts";

const FP = "3f7a1c0e9b5d2f4a6c8e0b1d3f5a7c9e1b3d5f7a9c0e2b4d6f8a0c1e3b5d7f9a";
const OTHER_FP = "ab".repeat(32);
const XFCC = `Hash=${FP};Subject="CN=client.acme.test,O=Acme \\"QA\\",C=US"`;

const clientCert = (overrides: Record<string, unknown> = {}) => ({
  tlsVersion: "TLSv1.3",
  tlsClientAuth: {
    certPresented: "1",
    certVerified: "SUCCESS",
    certRevoked: "0",
    certFingerprintSHA256: FP,
    certSubjectDN: 'CN=client.acme.test, O=Acme "QA", C=US',
    certSubjectDNRFC2253: 'CN=client.acme.test,O=Acme "QA",C=US',
    certIssuerDNRFC2253: "CN=Acme Client CA,O=Acme",
    certSerial: "00936EACBE07F201DF",
    certNotBefore: "Jan  1 00:00:00 2026 GMT",
    certNotAfter: "Jan  1 00:00:00 2027 GMT",
    ...overrides,
  },
});
const noCert = { tlsVersion: "TLSv1.3", tlsClientAuth: { certPresented: "0", certVerified: "NONE" } };

function route(id: string, tls: RouteTableInput["tls"]): RouteTableInput["routes"][number] {
  return { id, hostnames: [`${id}.test`], tls, rules: [{ backendRefs: [{ name: "echo" }] }] };
}

const table = (): RouteTableInput => ({
  version: 1,
  // Table-wide default: every route redirects and sends HSTS unless it says otherwise.
  tls: { httpsRedirect: true, hsts: { maxAge: 31536000, includeSubDomains: true, preload: true } },
  clusters: { echo: { endpoints: [{ url: podUrl("pod-a") }] } },
  routes: [
    route("redirect", {}),
    route("redirect301", { redirectStatusCode: 301 }),
    route("plain", { httpsRedirect: false, hsts: false }),
    route("hsts-short", { httpsRedirect: false, hsts: { maxAge: 600 } }),
    route("min12", { httpsRedirect: false, minVersion: "1.2" }),
    route("min13", { minVersion: "1.3" }),
    route("mtls", { httpsRedirect: false, clientCertificate: { mode: "Require" } }),
    route("mtls-allow", {
      clientCertificate: { mode: "Require", fingerprintsSHA256: [FP.toUpperCase().match(/../g)!.join(":")] },
    }),
    route("mtls-optional", { httpsRedirect: false, clientCertificate: { mode: "Optional" } }),
    route("mtls-optional-allow", {
      clientCertificate: { mode: "Optional", fingerprintsSHA256: [OTHER_FP] },
    }),
    route("mtls-custom", {
      clientCertificate: { mode: "Optional", forwardHeader: "X-Client-Cert" },
    }),
    route("mtls-off", {
      httpsRedirect: false,
      clientCertificate: { mode: "Off", forwardHeader: "x-client-cert" },
    }),
  ],
});

type Body = { error: string; message: string; requestId: string };

/** Past the TLS stage: the pod answered. */
function expectPassedTlsStage(res: Response): void {
  expect(res.status).toBe(200);
}

describe("edge TLS policy through the pipeline", () => {
  const gw = gatewayFor(table());

  describe("httpsRedirect", () => {
    it("answers plain HTTP with 308 to the same URL on https, for every method", async () => {
      for (const method of ["GET", "HEAD", "POST", "PUT", "DELETE"]) {
        const res = await gatewayFetch(gw, "http://redirect.test/a/b?x=1&y=%20", { method });
        expect(res.status).toBe(308);
        expect(res.headers.get("location")).toBe("https://redirect.test/a/b?x=1&y=%20");
        expect(res.headers.get("strict-transport-security")).toBeNull();
        expect(res.headers.get("x-request-id")).toBeTruthy();
      }
    });

    it("drops an explicit http port: the redirect goes to the well-known https port", async () => {
      const res = await gatewayFetch(gw, "http://redirect.test:8080/x");
      expect(res.headers.get("location")).toBe("https://redirect.test/x");
    });

    it("uses 301 for GET and HEAD when configured, and still 308 for other methods", async () => {
      expect((await gatewayFetch(gw, "http://redirect301.test/", { method: "GET" })).status).toBe(301);
      expect((await gatewayFetch(gw, "http://redirect301.test/", { method: "HEAD" })).status).toBe(301);
      const post = await gatewayFetch(gw, "http://redirect301.test/", { method: "POST", body: "x" });
      expect(post.status).toBe(308);
    });

    it("leaves HTTPS requests alone", async () => {
      expectPassedTlsStage(await gatewayFetch(gw, "https://redirect.test/x", {}, { cf: noCert }));
    });

    it("forwards plain HTTP when the route turns the redirect off and needs nothing only TLS gives", async () => {
      expectPassedTlsStage(await gatewayFetch(gw, "http://plain.test/x"));
    });
  });

  describe("hsts", () => {
    it("is sent on HTTPS responses with the configured directives", async () => {
      const res = await gatewayFetch(gw, "https://redirect.test/x", {}, { cf: noCert });
      expect(res.headers.get("strict-transport-security")).toBe(
        "max-age=31536000; includeSubDomains; preload",
      );
    });

    it("follows the route's own value field by field", async () => {
      const res = await gatewayFetch(gw, "https://hsts-short.test/x", {}, { cf: noCert });
      expect(res.headers.get("strict-transport-security")).toBe("max-age=600");
    });

    it("is never sent over plain HTTP", async () => {
      const res = await gatewayFetch(gw, "http://hsts-short.test/x");
      expectPassedTlsStage(res);
      expect(res.headers.get("strict-transport-security")).toBeNull();
    });

    it("is not sent when the route says hsts: false", async () => {
      const res = await gatewayFetch(gw, "https://plain.test/x", {}, { cf: noCert });
      expect(res.headers.get("strict-transport-security")).toBeNull();
    });
  });

  describe("minVersion", () => {
    it("answers a connection below it with 426, an Upgrade header and a JSON error", async () => {
      for (const tlsVersion of ["TLSv1", "TLSv1.1"]) {
        const res = await gatewayFetch(gw, "https://min12.test/x", {}, { cf: { tlsVersion } });
        expect(res.status).toBe(426);
        expect(res.headers.get("upgrade")).toBe("TLS/1.3, TLS/1.2");
        expect(res.headers.get("content-type")).toContain("application/json");
        const body = (await res.json()) as Body;
        expect(body.error).toBe("tls_version_too_low");
        expect(body.message).toContain("TLS 1.2 or later");
        expect(body.requestId).toBe(res.headers.get("x-request-id"));
        // Still an HTTPS answer on a route with HSTS.
        expect(res.headers.get("strict-transport-security")).toContain("max-age=");
      }
    });

    it("lets the minimum and above through", async () => {
      expectPassedTlsStage(
        await gatewayFetch(gw, "https://min12.test/x", {}, { cf: { tlsVersion: "TLSv1.2" } }),
      );
      expectPassedTlsStage(
        await gatewayFetch(gw, "https://min12.test/x", {}, { cf: { tlsVersion: "TLSv1.3" } }),
      );
      const res = await gatewayFetch(gw, "https://min13.test/x", {}, { cf: { tlsVersion: "TLSv1.2" } });
      expect(res.status).toBe(426);
      expect(res.headers.get("upgrade")).toBe("TLS/1.3");
    });

    it("treats an unreported version as too low (a policy that cannot be checked is not met)", async () => {
      const res = await gatewayFetch(gw, "https://min12.test/x");
      expect(res.status).toBe(426);
      expect(((await res.json()) as Body).message).toContain("unreported");
    });

    it("refuses plain HTTP with 403 https_required when the route does not redirect", async () => {
      const res = await gatewayFetch(gw, "http://min12.test/x", { method: "POST", body: "secret" });
      expect(res.status).toBe(403);
      expect(((await res.json()) as Body).error).toBe("https_required");
    });

    it("redirects plain HTTP first when the route redirects", async () => {
      const res = await gatewayFetch(gw, "http://min13.test/x");
      expect(res.status).toBe(308);
    });
  });

  describe("clientCertificate", () => {
    it("Require refuses a request without a certificate with a JSON 403", async () => {
      const res = await gatewayFetch(gw, "https://mtls.test/x", {}, { cf: noCert });
      expect(res.status).toBe(403);
      const body = (await res.json()) as Body;
      expect(body.error).toBe("client_certificate_required");
      expect(body.message).toContain("no client certificate was presented");
    });

    it("Require refuses when Cloudflare reports no tlsClientAuth at all (mTLS not enabled for the host)", async () => {
      const res = await gatewayFetch(gw, "https://mtls.test/x", {}, { cf: { tlsVersion: "TLSv1.3" } });
      expect(res.status).toBe(403);
    });

    it("Require refuses a certificate that failed verification or is revoked", async () => {
      for (const overrides of [
        { certVerified: "FAILED:self signed certificate" },
        { certVerified: "FAILED:unable to verify the first certificate" },
        { certRevoked: "1" },
      ]) {
        const res = await gatewayFetch(gw, "https://mtls.test/x", {}, { cf: clientCert(overrides) });
        expect(res.status).toBe(403);
        expect(((await res.json()) as Body).error).toBe("client_certificate_required");
      }
    });

    it("Require lets a verified certificate through", async () => {
      expectPassedTlsStage(await gatewayFetch(gw, "https://mtls.test/x", {}, { cf: clientCert() }));
    });

    it("Require on plain HTTP is refused, never forwarded (no certificate can exist there)", async () => {
      const res = await gatewayFetch(gw, "http://mtls.test/x", {}, { cf: clientCert() });
      expect(res.status).toBe(403);
      expect(((await res.json()) as Body).error).toBe("https_required");
    });

    it("checks the fingerprint allow-list, whatever its case and colons", async () => {
      expectPassedTlsStage(await gatewayFetch(gw, "https://mtls-allow.test/x", {}, { cf: clientCert() }));
      const res = await gatewayFetch(
        gw,
        "https://mtls-allow.test/x",
        {},
        { cf: clientCert({ certFingerprintSHA256: OTHER_FP }) },
      );
      expect(res.status).toBe(403);
      expect(((await res.json()) as Body).message).toContain("allow-list");
    });

    it("Optional and Off let requests with or without a certificate through", async () => {
      for (const host of ["mtls-optional", "mtls-off"]) {
        expectPassedTlsStage(await gatewayFetch(gw, `https://${host}.test/x`, {}, { cf: noCert }));
        expectPassedTlsStage(await gatewayFetch(gw, `https://${host}.test/x`, {}, { cf: clientCert() }));
        expectPassedTlsStage(await gatewayFetch(gw, `http://${host}.test/x`));
      }
    });
  });
});

describe("what the TLS stage hands to the origin (the draft)", () => {
  const policy = (host: string) => gatewayFor(table()).routing.rules.find((r) => r.routeId === host)!.tls;
  const gw = gatewayFor(table());

  function run(
    host: string,
    url: string,
    cf: Record<string, unknown> | undefined,
    headers: HeadersInit = {},
  ) {
    let request = new Request(url, { headers });
    if (cf) request = new Request(request, { cf } as RequestInit);
    const parsed = new URL(url);
    const draft: UpstreamDraft = {
      method: request.method,
      path: parsed.pathname,
      query: parsed.searchParams,
      headers: prepareUpstreamHeaders(request, parsed, gw.spoofableHeaders, "rid"),
      hostOverride: undefined,
      body: null,
    };
    const decision = enforceTlsPolicy({
      policy: policy(host),
      request,
      url: parsed,
      draft,
      requestId: "rid",
    });
    return { decision, headers: draft.headers };
  }

  it("Require: the verified certificate in Envoy's XFCC format, quotes escaped", () => {
    const { decision, headers } = run("mtls", "https://mtls.test/x", clientCert());
    expect(decision.ok).toBe(true);
    expect(headers.get("x-forwarded-client-cert")).toBe(XFCC);
  });

  it("a client-sent XFCC never survives: replaced when a certificate is verified, removed when not", () => {
    const spoofed = { "x-forwarded-client-cert": 'Hash=00;Subject="CN=admin"' };
    expect(
      run("mtls", "https://mtls.test/x", clientCert(), spoofed).headers.get("x-forwarded-client-cert"),
    ).toBe(XFCC);
    for (const [host, cf] of [
      ["mtls-optional", noCert],
      ["mtls-optional", clientCert({ certVerified: "FAILED:self signed certificate" })],
      ["plain", clientCert()],
    ] as const) {
      const { headers } = run(host, `https://${host}.test/x`, cf, spoofed);
      expect(headers.has("x-forwarded-client-cert")).toBe(false);
    }
  });

  it("Optional: forwards a verified certificate, and nothing for a missing or failed one", () => {
    expect(
      run("mtls-optional", "https://mtls-optional.test/", clientCert()).headers.get(
        "x-forwarded-client-cert",
      ),
    ).toBe(XFCC);
    const failed = run("mtls-optional", "https://mtls-optional.test/", clientCert({ certRevoked: "1" }));
    expect(failed.decision.ok).toBe(true);
    expect(failed.headers.has("x-forwarded-client-cert")).toBe(false);
  });

  it("Optional with an allow-list forwards only listed certificates (and lets the others through bare)", () => {
    const { decision, headers } = run(
      "mtls-optional-allow",
      "https://mtls-optional-allow.test/",
      clientCert(),
    );
    expect(decision.ok).toBe(true);
    expect(headers.has("x-forwarded-client-cert")).toBe(false);
  });

  it("uses the configured forwardHeader, and clears client copies of it even with mode Off", () => {
    const custom = run("mtls-custom", "https://mtls-custom.test/", clientCert(), {
      "x-client-cert": "forged",
    });
    expect(custom.headers.get("x-client-cert")).toBe(XFCC);
    expect(custom.headers.has("x-forwarded-client-cert")).toBe(false);
    const off = run("mtls-off", "https://mtls-off.test/", clientCert(), { "x-client-cert": "forged" });
    expect(off.headers.has("x-client-cert")).toBe(false);
  });

  it("never forwards an identity over plain HTTP", () => {
    const { decision, headers } = run("mtls-optional", "http://mtls-optional.test/", clientCert());
    expect(decision).toEqual({ ok: true, hsts: undefined });
    expect(headers.has("x-forwarded-client-cert")).toBe(false);
  });

  it("a route with no policy decides nothing", () => {
    const request = new Request("http://x.test/");
    const draft = { headers: new Headers() } as UpstreamDraft;
    const decision = enforceTlsPolicy({
      policy: undefined,
      request,
      url: new URL(request.url),
      draft,
      requestId: "r",
    });
    expect(decision).toEqual({ ok: true, hsts: undefined });
    expect(TlsPolicySchema.parse({})).toEqual({});
  });
});

describe("what the origin receives (through the data path)", () => {
  const gw = gatewayFor(table());

  async function echo(url: string, cf: Record<string, unknown>, headers: HeadersInit = {}): Promise<PodEcho> {
    const res = await gatewayFetch(gw, url, { headers }, { cf });
    expect(res.status).toBe(200);
    return (await res.json()) as PodEcho;
  }

  it("gets the gateway's XFCC, never the client's", async () => {
    const spoofed = { "x-forwarded-client-cert": 'Hash=00;Subject="CN=admin"', "x-client-cert": "forged" };
    expect(
      (await echo("https://mtls.test/x", clientCert(), spoofed)).headers["x-forwarded-client-cert"],
    ).toBe(XFCC);
    const none = await echo("https://mtls-optional.test/x", noCert, spoofed);
    expect(none.headers["x-forwarded-client-cert"]).toBeUndefined();
    const custom = await echo("https://mtls-custom.test/x", clientCert(), spoofed);
    expect(custom.headers["x-client-cert"]).toBe(XFCC);
    expect(custom.headers["x-forwarded-client-cert"]).toBeUndefined();
  });

  it("receives nothing over plain HTTP from a route that redirects or requires TLS", async () => {
    await resetPod("pod-a");
    for (const host of ["redirect", "redirect301", "min12", "min13", "mtls", "mtls-allow"]) {
      for (const method of ["GET", "POST"]) {
        const res = await gatewayFetch(
          gw,
          `http://${host}.test/x?q=1`,
          method === "POST" ? { method, body: "secret" } : { method },
          { cf: clientCert() },
        );
        expect([301, 308, 403]).toContain(res.status);
        await res.body?.cancel();
      }
    }
    expect(await podRequests("pod-a")).toEqual([]);
    // The same pod does receive plain HTTP for a route without such a policy.
    const plain = await gatewayFetch(gw, "http://plain.test/x");
    expect(plain.status).toBe(200);
    await plain.body?.cancel();
    expect(await podRequests("pod-a")).toHaveLength(1);
  });

  it("the 200 it answers carries HSTS on https only", async () => {
    const secure = await gatewayFetch(gw, "https://hsts-short.test/x", {}, { cf: noCert });
    expect(secure.status).toBe(200);
    expect(secure.headers.get("strict-transport-security")).toBe("max-age=600");
    const plain = await gatewayFetch(gw, "http://hsts-short.test/x");
    expect(plain.status).toBe(200);
    expect(plain.headers.get("strict-transport-security")).toBeNull();
  });
});
