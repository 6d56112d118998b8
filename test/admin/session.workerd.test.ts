/**
 * The sign-in form for local development, through the real worker: the admin token is exchanged for an
 * HttpOnly, Secure, SameSite=Strict cookie that is signed and expires; sign-out clears it.
 */
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import {
  SESSION_COOKIE,
  SESSION_LIFETIME_SECONDS,
  sessionCookie,
  sessionCookieValue,
  validSession,
} from "../../src/admin/session.ts";
import { ADMIN_HOST, ADMIN_TOKEN, resetRoutes, viaWorker } from "../store/kv-test-helpers.ts";

beforeEach(resetRoutes);
afterAll(resetRoutes);

const ORIGIN = `https://${ADMIN_HOST}`;

function signIn(token: string, headers: Record<string, string> = { origin: ORIGIN }) {
  return viaWorker(`${ORIGIN}/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams({ token }).toString(),
    redirect: "manual",
  });
}

describe("sign-in form", () => {
  it("sends a browser with no credentials to the form, which is a plain HTML form", async () => {
    const page = await viaWorker(`${ORIGIN}/`, { headers: { accept: "text/html" }, redirect: "manual" });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/sign-in");
    const form = await viaWorker(`${ORIGIN}/sign-in`);
    expect(form.status).toBe(200);
    expect(form.headers.get("content-security-policy")).toContain("form-action 'self'");
    const body = await form.text();
    expect(body).toContain('<form method="post" action="/sign-in">');
    expect(body).toContain('type="password"');
  });

  it("exchanges the admin token for a signed, expiring, HttpOnly, Secure, SameSite=Strict cookie", async () => {
    const response = await signIn(ADMIN_TOKEN);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/");
    const cookie = response.headers.get("set-cookie")!;
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=\\d+\\.[A-Za-z0-9_-]{43};`));
    for (const attribute of [
      "HttpOnly",
      "Secure",
      "SameSite=Strict",
      "Path=/",
      `Max-Age=${SESSION_LIFETIME_SECONDS}`,
    ]) {
      expect(cookie).toContain(attribute);
    }
    expect(cookie).not.toContain(ADMIN_TOKEN);
    const value = cookie.split(";")[0]!;
    const page = await viaWorker(`${ORIGIN}/`, { headers: { cookie: value } });
    expect(page.status).toBe(200);
    const body = await page.text();
    expect(body).toContain("Signed in: admin token (session cookie)");
    expect(body).toContain('<form method="post" action="/sign-out">');
    const json = await viaWorker(`${ORIGIN}/status`, { headers: { cookie: value } });
    expect(json.status).toBe(200);
    await json.body?.cancel();
  });

  it("refuses a wrong token with the form again, and a form posted from another site", async () => {
    const wrong = await signIn(`${ADMIN_TOKEN}x`);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.has("set-cookie")).toBe(false);
    expect(await wrong.text()).toContain("That is not the admin token.");
    for (const headers of <Record<string, string>[]>[
      { origin: "https://evil.example" },
      { origin: ORIGIN, "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
    ]) {
      const crossSite = await signIn(ADMIN_TOKEN, headers);
      expect(crossSite.status, JSON.stringify(headers)).toBe(403);
      expect(crossSite.headers.has("set-cookie")).toBe(false);
      await crossSite.body?.cancel();
    }
    const sameOrigin = await signIn(ADMIN_TOKEN, {
      origin: "http://admin.gatehouse.test:8787",
      "sec-fetch-site": "same-origin",
    });
    expect(sameOrigin.status).toBe(303);
  });

  it("refuses a tampered, expired or foreign cookie", async () => {
    const now = Date.now();
    const good = (await sessionCookie(ADMIN_TOKEN, now)).split(";")[0]!.split("=")[1]!;
    const [expires, mac] = good.split(".");
    const stretched = `${Number(expires) + 3600}.${mac}`;
    const foreign = (await sessionCookie("another-token", now)).split(";")[0]!.split("=")[1]!;
    const expired = (await sessionCookie(ADMIN_TOKEN, now - (SESSION_LIFETIME_SECONDS + 1) * 1000))
      .split(";")[0]!
      .split("=")[1]!;
    expect(await validSession(good, ADMIN_TOKEN, now)).toBe(true);
    for (const value of [stretched, foreign, expired, "", "1.2", `${expires}.${mac}x`]) {
      expect(await validSession(value, ADMIN_TOKEN, now), value).toBe(false);
      const page = await viaWorker(`${ORIGIN}/status`, { headers: { cookie: `${SESSION_COOKIE}=${value}` } });
      expect(page.status, value).toBe(401);
      await page.body?.cancel();
    }
    expect(sessionCookieValue(`a=1; ${SESSION_COOKIE}=${good}; b=2`)).toBe(good);
  });

  it("signs out: the cookie is cleared with the same attributes", async () => {
    const response = await viaWorker(`${ORIGIN}/sign-out`, {
      method: "POST",
      headers: { origin: ORIGIN },
      redirect: "manual",
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/sign-in");
    expect(response.headers.get("set-cookie")).toBe(
      `${SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict`,
    );
  });
});
