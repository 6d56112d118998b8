/**
 * Cloudflare Access in front of the admin host: the `Cf-Access-Jwt-Assertion` JWT is verified with jose
 * against the team's keys (a real JWKS endpoint on 127.0.0.1), for the team's issuer and the
 * application's AUD tag. Tokens are real, signed by jose.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { accessConfig } from "../../src/admin/access.ts";
import { handleAdmin } from "../../src/admin/index.ts";
import type { Env } from "../../src/gateway/env.ts";
import { jwks, makeKey, mint, type TestKey } from "../auth/tokens.ts";
import { ADMIN_HOST, ADMIN_TOKEN } from "../store/kv-test-helpers.ts";
import { putJwks } from "../support/origins.ts";

const TEAM = "gatehouse-test.cloudflareaccess.com";
const ISSUER = `https://${TEAM}`;
const AUD = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2";

let key: TestKey;
let stranger: TestKey;
let accessEnv: Env;

beforeAll(async () => {
  key = await makeKey("RS256");
  stranger = await makeKey("RS256", key.kid);
  const certs = await putJwks("access-certs", jwks(key), { cacheControl: "max-age=300" });
  accessEnv = {
    ...(env as unknown as Env),
    ADMIN_ACCESS_TEAM_DOMAIN: TEAM,
    ADMIN_ACCESS_AUD: AUD,
    ADMIN_ACCESS_CERTS_URL: certs,
  };
});

const page = (headers: Record<string, string>, e: Env = accessEnv) =>
  handleAdmin(
    new Request(`https://${ADMIN_HOST}/`, { headers: { accept: "text/html", ...headers } }),
    e,
    undefined,
  );

const assertion = (k: TestKey, options: Parameters<typeof mint>[1] = {}) =>
  mint(k, {
    issuer: ISSUER,
    audience: AUD,
    subject: "user-1",
    claims: { email: "ops@example.com" },
    ...options,
  });

describe("Cloudflare Access on the admin host", () => {
  it("derives issuer and key set from the team name", () => {
    const e = { ADMIN_ACCESS_TEAM_DOMAIN: "myteam", ADMIN_ACCESS_AUD: "aud" } as unknown as Env;
    expect(accessConfig(e)).toEqual({
      issuer: "https://myteam.cloudflareaccess.com",
      audience: "aud",
      certsUrl: "https://myteam.cloudflareaccess.com/cdn-cgi/access/certs",
    });
    expect(accessConfig({ ADMIN_ACCESS_TEAM_DOMAIN: "myteam" } as unknown as Env)).toBeUndefined();
  });

  it("opens the page for a JWT the team signed for this application, naming the person", async () => {
    const response = await page({ "cf-access-jwt-assertion": await assertion(key) });
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(body).toContain("ops@example.com (Cloudflare Access)");
    expect(body).not.toContain("Sign out");
  });

  it("refuses a JWT for another application, another team, another key, expired, or not RS256", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const hmac = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode("x".repeat(32)),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const { SignJWT } = await import("jose");
    const hs256 = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256", kid: key.kid })
      .setIssuer(ISSUER)
      .setAudience(AUD)
      .setExpirationTime("5m")
      .sign(hmac);
    const cases = {
      audience: await assertion(key, { audience: "another-application" }),
      issuer: await assertion(key, { issuer: "https://other-team.cloudflareaccess.com" }),
      key: await assertion(stranger),
      expired: await assertion(key, { expiresIn: -120 }),
      hs256,
      garbage: "not-a-jwt",
    };
    for (const [name, token] of Object.entries(cases)) {
      const response = await page({ "cf-access-jwt-assertion": token });
      expect(response.status, name).toBe(401);
      expect(response.headers.get("www-authenticate"), name).toMatch(/error="invalid_token"/);
      await response.body?.cancel();
    }
    expect(warn).toHaveBeenCalledTimes(Object.keys(cases).length);
    warn.mockRestore();
  });

  it("without the header, a browser gets 401 (not the sign-in form) and the form does not exist", async () => {
    const none = await page({});
    expect(none.status).toBe(401);
    expect(((await none.json()) as { message: string }).message).toMatch(/Cloudflare Access/);
    const form = await handleAdmin(new Request(`https://${ADMIN_HOST}/sign-in`), accessEnv, undefined);
    expect(form.status).toBe(401);
    await form.body?.cancel();
  });

  it("still takes the bearer token (scripts and monitors), and works with Access alone", async () => {
    const bearer = await page({ authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(bearer.status).toBe(200);
    await bearer.body?.cancel();
    const accessOnly = { ...accessEnv, ADMIN_TOKEN: undefined } as Env;
    const response = await page({ "cf-access-jwt-assertion": await assertion(key) }, accessOnly);
    expect(response.status).toBe(200);
    await response.body?.cancel();
  });
});
