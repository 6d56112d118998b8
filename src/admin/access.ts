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
import { createRemoteJWKSet, errors, jwtVerify } from "jose";
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

/** One key set per URL for the isolate's life: jose caches the keys and refetches on an unknown `kid`. */
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function keySet(url: string): ReturnType<typeof createRemoteJWKSet> {
  let set = keySets.get(url);
  if (!set) {
    set = createRemoteJWKSet(new URL(url), { timeoutDuration: 5_000, cooldownDuration: 30_000 });
    keySets.set(url, set);
  }
  return set;
}

export type AccessCheck = { ok: true; email: string | undefined } | { ok: false; reason: string };

/** Access signs with RS256; nothing else is accepted. */
const ALGORITHMS = ["RS256"];

export async function checkAccessJwt(token: string, config: AccessConfig): Promise<AccessCheck> {
  try {
    const { payload } = await jwtVerify(token, keySet(config.certsUrl), {
      issuer: config.issuer,
      audience: config.audience,
      algorithms: ALGORITHMS,
      clockTolerance: 30,
      requiredClaims: ["exp"],
    });
    return { ok: true, email: typeof payload.email === "string" ? payload.email : undefined };
  } catch (err) {
    if (err instanceof errors.JOSEError) return { ok: false, reason: `${err.code}: ${err.message}` };
    return { ok: false, reason: String(err) };
  }
}
