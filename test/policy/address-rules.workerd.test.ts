/**
 * Address rules through the real pipeline in workerd: `clientAddresses` on `CF-Connecting-IP`, and
 * `countries` on `request.cf.country`, refusing with 403 before anything reaches the pod.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { gatewayFetch, gatewayFor } from "../support/gateway.ts";
import { podRequests, resetAllPods } from "../support/origins.ts";
import { type ErrorBody, from, policyTable, url } from "./support.ts";

beforeEach(async () => {
  await resetAllPods();
  vi.spyOn(console, "log").mockImplementation(() => {}); // the access log: one line per request
});
afterEach(() => {
  vi.restoreAllMocks();
});

type Gateway = ReturnType<typeof gatewayFor>;

async function statusFrom(
  gateway: Gateway,
  init: RequestInit,
  cf?: Record<string, unknown>,
): Promise<number> {
  const response = await gatewayFetch(gateway, url("/"), init, cf ? { cf } : {});
  await response.body?.cancel();
  return response.status;
}

describe("clientAddresses", () => {
  const gateway = () =>
    gatewayFor(
      policyTable({
        clientAddresses: {
          allow: ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"],
          deny: ["10.1.0.0/16", "2001:db8:bad::/48"],
        },
      }),
    );

  it("lets in addresses inside the allow list, IPv4 and IPv6", async () => {
    const gw = gateway();
    expect(await statusFrom(gw, from("10.2.3.4"))).toBe(200);
    expect(await statusFrom(gw, from("192.0.2.7"))).toBe(200);
    expect(await statusFrom(gw, from("2001:db8:1::1"))).toBe(200);
    // The same client written as an IPv4-mapped IPv6 address.
    expect(await statusFrom(gw, from("::ffff:10.2.3.4"))).toBe(200);
  });

  it("refuses addresses outside it with 403 address_denied, and the pod never sees them", async () => {
    const gw = gateway();
    const response = await gatewayFetch(gw, url("/"), from("198.51.100.9"));
    expect(response.status).toBe(403);
    const body = (await response.json()) as ErrorBody;
    expect(body.error).toBe("address_denied");
    expect(body.requestId).toBe(response.headers.get("x-request-id"));
    expect(await statusFrom(gw, from("2001:db9::1"))).toBe(403);
    expect(await statusFrom(gw, from("192.0.2.8"))).toBe(403);
    expect(await podRequests("pod-a")).toHaveLength(0);
  });

  it("deny beats allow, for IPv4 and IPv6", async () => {
    const gw = gateway();
    expect(await statusFrom(gw, from("10.1.2.3"))).toBe(403);
    expect(await statusFrom(gw, from("2001:db8:bad:1::1"))).toBe(403);
    expect(await statusFrom(gw, from("2001:db8:bad0::1"))).toBe(200);
  });

  it("reads CF-Connecting-IP only: X-Forwarded-For and X-Real-IP change nothing", async () => {
    const gw = gateway();
    const spoofed = { "x-forwarded-for": "10.2.3.4", "x-real-ip": "10.2.3.4" };
    expect(await statusFrom(gw, from("198.51.100.9", spoofed))).toBe(403);
    expect(await statusFrom(gw, { headers: spoofed })).toBe(403);
  });

  it("with no allow list, lets in everyone not denied; a request without an address is not denied", async () => {
    const gw = gatewayFor(policyTable({ clientAddresses: { deny: ["203.0.113.0/24"] } }));
    expect(await statusFrom(gw, from("203.0.113.5"))).toBe(403);
    expect(await statusFrom(gw, from("198.51.100.9"))).toBe(200);
    expect(await statusFrom(gw, {})).toBe(200);
    const empty = gatewayFor(policyTable({ clientAddresses: { allow: [], deny: ["203.0.113.0/24"] } }));
    expect(await statusFrom(empty, from("198.51.100.9"))).toBe(200);
  });

  it("with an allow list, refuses a request whose address is missing or unreadable", async () => {
    const gw = gateway();
    expect(await statusFrom(gw, {})).toBe(403);
    expect(await statusFrom(gw, from("010.2.3.4"))).toBe(403);
  });

  it("holds 10,000 prefixes and still finds the one that matters", async () => {
    const allow = Array.from({ length: 10_000 }, (_, i) => `100.${(i >> 8) & 0xff}.${i & 0xff}.0/24`);
    allow.push("2001:db8:42::/48");
    const gw = gatewayFor(policyTable({ clientAddresses: { allow } }));
    expect(await statusFrom(gw, from("100.39.15.77"))).toBe(200); // 9999 = 39·256 + 15
    expect(await statusFrom(gw, from("100.40.0.1"))).toBe(403);
    expect(await statusFrom(gw, from("2001:db8:42::9"))).toBe(200);
  });

  it("takes the table's defaults, and a rule's own list replaces them", async () => {
    const defaults = { clientAddresses: { allow: ["10.0.0.0/8"] } };
    const inherits = gatewayFor(policyTable({}, { defaults }));
    expect(await statusFrom(inherits, from("10.0.0.1"))).toBe(200);
    expect(await statusFrom(inherits, from("192.0.2.1"))).toBe(403);
    const overrides = gatewayFor(policyTable({ clientAddresses: { allow: ["192.0.2.0/24"] } }, { defaults }));
    expect(await statusFrom(overrides, from("192.0.2.1"))).toBe(200);
    expect(await statusFrom(overrides, from("10.0.0.1"))).toBe(403);
  });
});

describe("countries", () => {
  it("allows only the listed countries, with 403 country_denied for the rest and for no country", async () => {
    const gw = gatewayFor(policyTable({ countries: { allow: ["DE", "FR"] } }));
    expect(await statusFrom(gw, from("192.0.2.1"), { country: "DE" })).toBe(200);
    expect(await statusFrom(gw, from("192.0.2.1"), { country: "FR" })).toBe(200);
    const refused = await gatewayFetch(gw, url("/"), from("192.0.2.1"), { cf: { country: "US" } });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as ErrorBody).error).toBe("country_denied");
    expect(await statusFrom(gw, from("192.0.2.1"))).toBe(403);
  });

  it("refuses the denied countries and lets the rest in", async () => {
    const gw = gatewayFor(policyTable({ countries: { deny: ["T1", "KP"] } }));
    expect(await statusFrom(gw, from("192.0.2.1"), { country: "T1" })).toBe(403);
    expect(await statusFrom(gw, from("192.0.2.1"), { country: "DE" })).toBe(200);
    expect(await statusFrom(gw, from("192.0.2.1"))).toBe(200);
  });

  it("checks the address first, then the country: both must admit", async () => {
    const gw = gatewayFor(
      policyTable({ clientAddresses: { allow: ["10.0.0.0/8"] }, countries: { allow: ["DE"] } }),
    );
    const byAddress = await gatewayFetch(gw, url("/"), from("192.0.2.1"), { cf: { country: "FR" } });
    expect(((await byAddress.json()) as ErrorBody).error).toBe("address_denied");
    const byCountry = await gatewayFetch(gw, url("/"), from("10.0.0.1"), { cf: { country: "FR" } });
    expect(((await byCountry.json()) as ErrorBody).error).toBe("country_denied");
    expect(await statusFrom(gw, from("10.0.0.1"), { country: "DE" })).toBe(200);
  });
});
