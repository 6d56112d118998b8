/**
 * Session persistence values (Gateway API `sessionPersistence`, Cookie or Header): the gateway names the
 * endpoint that served a client in a value it signs, and a returning client that presents the value is
 * sent back there while that endpoint is healthy.
 *
 *   value = <endpoint id> "." <issued at> "." <last seen> "." <mac>
 *
 * The endpoint id is opaque (a hash of cluster and URL, see `clusters.ts`), the times are milliseconds
 * since the epoch in base 36, and the mac is HMAC-SHA256 (WebCrypto) over the session name and the first
 * three parts, keyed with the `SESSION_SECRET` Worker secret and cut to 128 bits. `issued at` bounds the
 * session (`absoluteTimeout`), `last seen` its idleness (`idleTimeout`); a value that fails any check is
 * ignored, exactly as if the client had sent none.
 */
import type { CompiledSessionPersistence } from "../routing/types.ts";

export interface SessionValue {
  readonly endpointId: string;
  readonly issuedAt: number;
  readonly lastSeenAt: number;
}

const MAC_BYTES = 16;
/** A value issued later than this ahead of our clock is forged or from a badly skewed isolate. */
const FUTURE_SKEW_MS = 60_000;
const VALUE_PATTERN = /^([0-9a-f]{16})\.([0-9a-z]{1,11})\.([0-9a-z]{1,11})\.([A-Za-z0-9_-]{22})$/;

export async function signSession(
  persistence: CompiledSessionPersistence,
  value: SessionValue,
  secret: string,
): Promise<string> {
  const payload = `${value.endpointId}.${value.issuedAt.toString(36)}.${value.lastSeenAt.toString(36)}`;
  return `${payload}.${await mac(secret, persistence.sessionName, payload)}`;
}

/** The session a client presented, or undefined when it is absent, malformed, forged or expired. */
export async function verifySession(
  persistence: CompiledSessionPersistence,
  presented: string | undefined,
  secret: string,
  now: number,
): Promise<SessionValue | undefined> {
  const parts = presented === undefined ? null : VALUE_PATTERN.exec(presented);
  if (!parts) return undefined;
  const [, endpointId, issued36, seen36, presentedMac] = parts;
  const expected = await mac(secret, persistence.sessionName, `${endpointId}.${issued36}.${seen36}`);
  if (!constantTimeEqual(expected, presentedMac!)) return undefined;
  const value = {
    endpointId: endpointId!,
    issuedAt: Number.parseInt(issued36!, 36),
    lastSeenAt: Number.parseInt(seen36!, 36),
  };
  return isCurrent(persistence, value, now) ? value : undefined;
}

export function isCurrent(
  persistence: CompiledSessionPersistence,
  value: SessionValue,
  now: number,
): boolean {
  if (value.issuedAt > now + FUTURE_SKEW_MS || value.lastSeenAt < value.issuedAt) return false;
  if (persistence.absoluteTimeoutMs > 0 && now - value.issuedAt > persistence.absoluteTimeoutMs) return false;
  if (persistence.idleTimeoutMs > 0 && now - value.lastSeenAt > persistence.idleTimeoutMs) return false;
  return true;
}

/**
 * Whether a still-valid value should be re-issued to keep an idle timeout from running out. A tenth of
 * the idle timeout keeps a busy client's `Set-Cookie` traffic low while never letting it lapse.
 */
export function needsRefresh(
  persistence: CompiledSessionPersistence,
  value: SessionValue,
  now: number,
): boolean {
  return persistence.idleTimeoutMs > 0 && now - value.lastSeenAt >= persistence.idleTimeoutMs / 10;
}

/** `Set-Cookie` for a Cookie-type session: host-only, HttpOnly, Lax; Max-Age only for Permanent cookies. */
export function sessionCookie(
  persistence: CompiledSessionPersistence,
  value: string,
  secure: boolean,
): string {
  let cookie = `${persistence.sessionName}=${value}; Path=/; HttpOnly; SameSite=Lax`;
  if (secure) cookie += "; Secure";
  if (persistence.permanentCookie && persistence.absoluteTimeoutMs > 0) {
    cookie += `; Max-Age=${Math.floor(persistence.absoluteTimeoutMs / 1000)}`;
  }
  return cookie;
}

// ---------------------------------------------------------------------------------------------------

/** Keys are imported once per secret per isolate; only the resolved key is kept, never a promise. */
let cachedKey: { secret: string; key: CryptoKey } | undefined;

async function hmacKey(secret: string): Promise<CryptoKey> {
  if (cachedKey?.secret === secret) return cachedKey.key;
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  cachedKey = { secret, key };
  return key;
}

async function mac(secret: string, sessionName: string, payload: string): Promise<string> {
  const data = new TextEncoder().encode(`gatehouse-session-v1\n${sessionName}\n${payload}`);
  const signature = await crypto.subtle.sign("HMAC", await hmacKey(secret), data);
  return base64url(new Uint8Array(signature, 0, MAC_BYTES));
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Compares every character whatever the first difference: the time taken says nothing about the mac. */
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
