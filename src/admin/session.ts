/**
 * The local-development way for a browser to open the status page: a sign-in form that exchanges the
 * admin token for a session cookie. (In production, Cloudflare Access signs people in: access.ts.)
 *
 * The cookie is `gatehouse_admin=<expires>.<mac>`: HttpOnly (no script reads it), Secure (never over
 * plain HTTP; browsers treat http://localhost as secure), SameSite=Strict (never sent on a request
 * another site starts, so no cross-site request rides on it), Path=/, and expiring after
 * SESSION_LIFETIME_SECONDS. The MAC is HMAC-SHA256 keyed by the admin token over a label and the expiry:
 * rotating ADMIN_TOKEN signs everyone out, and a cookie cannot be made or stretched without the token.
 * The token itself is never stored in it.
 */
import { parse as parseCookies } from "hono/utils/cookie";

export const SESSION_COOKIE = "gatehouse_admin";
export const SESSION_LIFETIME_SECONDS = 8 * 60 * 60;
const LABEL = "gatehouse admin session v1";

const encoder = new TextEncoder();

async function macKey(adminToken: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    encoder.encode(adminToken),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

function toBase64Url(bytes: ArrayBuffer): string {
  let binary = "";
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) return undefined;
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** The `Set-Cookie` value that opens a session until now + lifetime. */
export async function sessionCookie(adminToken: string, nowMs: number): Promise<string> {
  const expires = Math.floor(nowMs / 1000) + SESSION_LIFETIME_SECONDS;
  const mac = await crypto.subtle.sign(
    "HMAC",
    await macKey(adminToken),
    encoder.encode(`${LABEL}\u0000${expires}`),
  );
  return `${SESSION_COOKIE}=${expires}.${toBase64Url(mac)}; Max-Age=${SESSION_LIFETIME_SECONDS}; Path=/; HttpOnly; Secure; SameSite=Strict`;
}

export const CLEARED_SESSION_COOKIE = `${SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict`;

/** The session cookie's value from a Cookie header (RFC 6265 parsing is Hono's). */
export function sessionCookieValue(cookieHeader: string | null): string | undefined {
  return cookieHeader ? parseCookies(cookieHeader, SESSION_COOKIE)[SESSION_COOKIE] : undefined;
}

/** True for an unexpired cookie this admin token made. `crypto.subtle.verify` compares in constant time. */
export async function validSession(
  value: string | undefined,
  adminToken: string,
  nowMs: number,
): Promise<boolean> {
  if (!value || adminToken === "") return false;
  const m = /^(\d{1,12})\.([A-Za-z0-9_-]+)$/.exec(value);
  if (!m) return false;
  const expires = Number(m[1]);
  if (expires * 1000 <= nowMs) return false;
  const mac = fromBase64Url(m[2]!);
  if (!mac) return false;
  return crypto.subtle.verify(
    "HMAC",
    await macKey(adminToken),
    mac,
    encoder.encode(`${LABEL}\u0000${expires}`),
  );
}
