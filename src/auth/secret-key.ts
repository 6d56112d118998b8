/**
 * `secret`: an HMAC key read from a Worker secret binding at request time. The key is the UTF-8 text of
 * `env[binding]`; it never appears in the table or in KV, so publishing routes cannot leak it.
 *
 * RFC 7518 §3.2 requires the key to be at least as long as the hash: a secret under 32 bytes is refused
 * as a misconfiguration, and a 40-byte secret verifies HS256 but not HS384/HS512.
 */
import type { JWSHeaderParameters } from "jose";
import type { Env } from "../gateway/env.ts";
import { hmacAlgorithmsForKeyLength, type JwsAlgorithm } from "./algorithms.ts";
import { AuthError } from "./errors.ts";
import type { KeyContext, KeySource, KeySourceState } from "./key-source.ts";

const HASH_FOR: Record<string, string> = { HS256: "SHA-256", HS384: "SHA-384", HS512: "SHA-512" };

/**
 * Imported keys per binding, reused while the secret's text is unchanged. Only resolved `CryptoKey`s
 * live here, never a pending import (see the note on module-scope promises in `remote-key-set.ts`).
 */
const imported = new Map<string, { text: string; keys: Map<string, CryptoKey> }>();

export type SecretReading =
  | { ok: true; text: string; bytes: Uint8Array; algorithms: JwsAlgorithm[] }
  | { ok: false; code: "secret_missing" | "secret_too_short" };

export function readSecret(env: Env, binding: string): SecretReading {
  const value = env[binding];
  if (typeof value !== "string" || value.length === 0) return { ok: false, code: "secret_missing" };
  const bytes = new TextEncoder().encode(value);
  const algorithms = hmacAlgorithmsForKeyLength(bytes.byteLength);
  if (algorithms.length === 0) return { ok: false, code: "secret_too_short" };
  return { ok: true, text: value, bytes, algorithms };
}

export class SecretKeySource implements KeySource {
  readonly kind = "secret";
  readonly family = "hmac";

  constructor(readonly binding: string) {}

  async keysFor(header: JWSHeaderParameters, ctx: KeyContext): Promise<CryptoKey[]> {
    const secret = readSecret(ctx.env, this.binding);
    if (!secret.ok) throw new AuthError(secret.code);
    const alg = header.alg ?? "";
    if (!(secret.algorithms as string[]).includes(alg)) throw new AuthError("algorithm_not_allowed");
    return [await this.keyFor(secret.text, secret.bytes, alg)];
  }

  private async keyFor(text: string, bytes: Uint8Array, alg: string): Promise<CryptoKey> {
    let entry = imported.get(this.binding);
    if (!entry || entry.text !== text) {
      entry = { text, keys: new Map() };
      imported.set(this.binding, entry);
    }
    const cached = entry.keys.get(alg);
    if (cached) return cached;
    const key = await crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: HASH_FOR[alg]! }, false, [
      "verify",
    ]);
    entry.keys.set(alg, key);
    return key;
  }

  describe(env: Env): KeySourceState {
    const secret = readSecret(env, this.binding);
    if (secret.ok) return { state: "ready", keys: 1, algorithms: secret.algorithms };
    return secret.code === "secret_missing"
      ? {
          state: "missing-secret",
          keys: 0,
          algorithms: [],
          error: `secret binding ${this.binding} is not set`,
        }
      : {
          state: "failed",
          keys: 0,
          algorithms: [],
          error: `secret binding ${this.binding} is shorter than 32 bytes`,
        };
  }
}
