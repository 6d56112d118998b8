/**
 * `Strict-Transport-Security` (RFC 6797). Built once per policy; the pipeline puts it on responses to
 * HTTPS requests only, because §7.2 forbids it over plain HTTP (a browser would ignore it anyway, and an
 * attacker on the path could strip or forge it).
 */
import type { TlsPolicy } from "../config/schema.ts";

export function formatHsts(hsts: TlsPolicy["hsts"]): string | undefined {
  if (!hsts) return undefined;
  let value = `max-age=${hsts.maxAge}`;
  if (hsts.includeSubDomains) value += "; includeSubDomains";
  if (hsts.preload) value += "; preload";
  return value;
}
