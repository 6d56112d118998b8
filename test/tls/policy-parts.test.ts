/** The small pure parts of the TLS stage: versions, HSTS, redirects. The stage itself: policy.workerd.test.ts */
import { describe, expect, it } from "vitest";
import { formatHsts } from "../../src/tls/hsts.ts";
import { httpsRedirect, httpsRequired } from "../../src/tls/https-redirect.ts";
import { isAtLeast, parseTlsVersion, upgradeTokens } from "../../src/tls/tls-version.ts";

describe("TLS versions", () => {
  it("reads Cloudflare's names, where TLS 1.0 is plain TLSv1", () => {
    expect(parseTlsVersion("TLSv1")).toBe("1.0");
    expect(parseTlsVersion("TLSv1.1")).toBe("1.1");
    expect(parseTlsVersion("TLSv1.2")).toBe("1.2");
    expect(parseTlsVersion("TLSv1.3")).toBe("1.3");
    expect(parseTlsVersion("")).toBeUndefined();
    expect(parseTlsVersion(undefined)).toBeUndefined();
    expect(parseTlsVersion("SSLv3")).toBeUndefined();
  });

  it("orders versions", () => {
    expect(isAtLeast("1.3", "1.2")).toBe(true);
    expect(isAtLeast("1.2", "1.2")).toBe(true);
    expect(isAtLeast("1.1", "1.2")).toBe(false);
  });

  it("names every acceptable version in the Upgrade value, most preferred first", () => {
    expect(upgradeTokens("1.2")).toBe("TLS/1.3, TLS/1.2");
    expect(upgradeTokens("1.3")).toBe("TLS/1.3");
  });
});

describe("HSTS value", () => {
  it("writes max-age and the flags that are on", () => {
    expect(formatHsts({ maxAge: 31536000, includeSubDomains: true, preload: true })).toBe(
      "max-age=31536000; includeSubDomains; preload",
    );
    expect(formatHsts({ maxAge: 600, includeSubDomains: false, preload: false })).toBe("max-age=600");
    expect(formatHsts({ maxAge: 0, includeSubDomains: false, preload: false })).toBe("max-age=0");
  });

  it("is absent when disabled or not configured", () => {
    expect(formatHsts(false)).toBeUndefined();
    expect(formatHsts(undefined)).toBeUndefined();
  });
});

describe("HTTPS redirect", () => {
  it("keeps host, path and query, drops the http port (Gateway API: the new scheme's well-known port)", () => {
    const res = httpsRedirect(new URL("http://api.example.com:8080/a/b?x=1&y=2"), "GET", 308, "rid");
    expect(res.status).toBe(308);
    expect(res.headers.get("location")).toBe("https://api.example.com/a/b?x=1&y=2");
    expect(res.headers.get("x-request-id")).toBe("rid");
  });

  it("uses 301 for GET and HEAD only when asked, and 308 for every other method", () => {
    const url = new URL("http://api.example.com/");
    expect(httpsRedirect(url, "GET", 301, "r").status).toBe(301);
    expect(httpsRedirect(url, "HEAD", 301, "r").status).toBe(301);
    expect(httpsRedirect(url, "POST", 301, "r").status).toBe(308);
    expect(httpsRedirect(url, "DELETE", 301, "r").status).toBe(308);
    expect(httpsRedirect(url, "GET", 308, "r").status).toBe(308);
  });

  it("refuses with a JSON 403 naming the https address when TLS is required and no redirect is set", async () => {
    const res = httpsRequired(new URL("http://api.example.com/orders?x=1"), "rid");
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      error: "https_required",
      message: "this route is served over HTTPS only: https://api.example.com/orders",
      requestId: "rid",
    });
  });
});
