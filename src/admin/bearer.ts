/**
 * The admin surface's only lock: `Authorization: Bearer <ADMIN_TOKEN>`.
 *
 * Both sides are hashed before comparing, so the comparison always runs over 32 bytes whatever the
 * lengths, and then compared without an early exit: neither the token's length nor its prefix can be
 * learned from timing.
 */

export type BearerCheck = { ok: true } | { ok: false; presented: boolean };

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

export async function checkBearer(header: string | null, expected: string): Promise<BearerCheck> {
  const match = header === null ? null : BEARER.exec(header);
  if (!match) return { ok: false, presented: header !== null };
  return (await sameSecret(match[1]!, expected)) ? { ok: true } : { ok: false, presented: true };
}

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

export async function sameSecret(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([digest(presented), digest(expected)]);
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}
