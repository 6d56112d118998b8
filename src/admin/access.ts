/**
 * Cloudflare Access in front of the admin host: the production way for a browser to open the status
 * page. Access signs in the person and adds `Cf-Access-Jwt-Assertion` to every request it lets through;
 * we verify that JWT with jose against the team's signing keys, for the Access application's AUD tag.
 *
 *   ADMIN_ACCESS_TEAM_DOMAIN  `myteam` or `myteam.cloudflareaccess.com`: the issuer, and where the keys are
 *   ADMIN_ACCESS_AUD          the Access application's Application Audience (AUD) tag
 *   ADMIN_ACCESS_CERTS_URL    optional: the key set's URL (default https://<team>/cdn-cgi/access/certs)
 *
 * Both of the first two set = Access is configured. The header alone proves nothing (anyone can send
 * it to a host that Access does not cover, e.g. workers.dev): only a signature by the team's keys, the
 * team's issuer and this application's audience do.
 */
import { errors, type JWSHeaderParameters, jwtVerify } from "jose";
import { AuthError } from "../auth/errors.ts";
import { REMOTE_JWKS_LIMITS, type RemoteKeySetOptions, remoteKeySet } from "../auth/remote-key-set.ts";
import type { Env } from "../gateway/env.ts";

export interface AccessConfig {
  issuer: string;
  audience: string;
  certsUrl: string;
}

export const ACCESS_JWT_HEADER = "cf-access-jwt-assertion";

export function accessConfig(env: Env): AccessConfig | undefined {
  const team = typeof env.ADMIN_ACCESS_TEAM_DOMAIN === "string" ? env.ADMIN_ACCESS_TEAM_DOMAIN.trim() : "";
  const audience = typeof env.ADMIN_ACCESS_AUD === "string" ? env.ADMIN_ACCESS_AUD.trim() : "";
  if (team === "" || audience === "") return undefined;
  const host = team.replace(/^https?:\/\//, "").replace(/\/+$/, "");
  const domain = host.includes(".") ? host : `${host}.cloudflareaccess.com`;
  const issuer = `https://${domain}`;
  const certsUrl =
    typeof env.ADMIN_ACCESS_CERTS_URL === "string" && env.ADMIN_ACCESS_CERTS_URL !== ""
      ? env.ADMIN_ACCESS_CERTS_URL
      : `${issuer}/cdn-cgi/access/certs`;
  return { issuer, audience, certsUrl };
}

/**
 * The team's keys through the same isolate-wide remote key set the providers use (src/auth): bounded
 * reads, Cache-Control freshness, stale keys while the endpoint fails, one refetch for an unknown `kid`.
 */
function keySetOptions(certsUrl: string): RemoteKeySetOptions {
  return {
    uri: certsUrl,
    timeoutMs: REMOTE_JWKS_LIMITS.defaultTimeoutMs,
    cacheMs: REMOTE_JWKS_LIMITS.defaultCacheMs,
    staleMs: REMOTE_JWKS_LIMITS.defaultStaleMs,
    maxBytes: REMOTE_JWKS_LIMITS.defaultMaxBytes,
  };
}

export type AccessCheck = { ok: true; email: string | undefined } | { ok: false; reason: string };

/** Access signs with RS256; nothing else is accepted. */
const ALGORITHMS = ["RS256"];

export async function checkAccessJwt(token: string, config: AccessConfig, env: Env): Promise<AccessCheck> {
  const options = keySetOptions(config.certsUrl);
  const key = async (header: JWSHeaderParameters): Promise<CryptoKey> => {
    const keys = await remoteKeySet(config.certsUrl).keysFor(
      header,
      { env, nowMs: Date.now(), waitUntil: undefined },
      options,
    );
    // Access names its key (`kid`); a token that matches several is not one Access made.
    if (keys.length !== 1) throw new AuthError("unknown_key");
    return keys[0]!;
  };
  try {
    const { payload } = await jwtVerify(token, key, {
      issuer: config.issuer,
      audience: config.audience,
      algorithms: ALGORITHMS,
      clockTolerance: 30,
      requiredClaims: ["exp"],
    });
    return { ok: true, email: typeof payload.email === "string" ? payload.email : undefined };
  } catch (err) {
    if (err instanceof errors.JOSEError) return { ok: false, reason: `${err.code}: ${err.message}` };
    if (err instanceof AuthError) return { ok: false, reason: err.code };
    return { ok: false, reason: String(err) };
  }
}
