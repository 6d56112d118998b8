/**
 * The ingress-nginx annotations Gatehouse honours, read once per Ingress into plain settings with
 * ingress-nginx's defaults and meanings; every other `nginx.ingress.kubernetes.io/*` annotation is
 * reported. Three kinds are treated apart:
 * - `*-snippet` annotations are refused: they splice raw nginx configuration into the controller, the
 *   hole behind IngressNightmare (CVE-2025-1974, remote code execution through the admission webhook).
 *   Gatehouse evaluates nothing from its input; what a snippet did must become table fields or policy.
 * - annotations that restrict who may reach the Ingress (source ranges, external or basic auth, client
 *   certificates) cannot be honoured yet (the route table has no client-address or basic-auth rules):
 *   the Ingress is left out rather than served open to everyone.
 * - on a canary Ingress, ingress-nginx reads only the `canary*` annotations; the others are reported as
 *   ignored there.
 */
import type { ObjectRef } from "./objects.ts";
import type { ImportReport } from "./report.ts";

export const NGINX_PREFIX = "nginx.ingress.kubernetes.io/";

/** Restrictions Gatehouse cannot enforce yet: an Ingress carrying one is left out. */
const ACCESS_RESTRICTIONS = new Set([
  "whitelist-source-range",
  "allowlist-source-range",
  "denylist-source-range",
  "auth-type",
  "auth-url",
  "auth-secret",
  "auth-tls-secret",
  "auth-tls-verify-client",
]);

const HANDLED = new Set([
  "rewrite-target",
  "use-regex",
  "ssl-redirect",
  "force-ssl-redirect",
  "affinity",
  "affinity-mode",
  "session-cookie-name",
  "session-cookie-max-age",
  "session-cookie-expires",
  "enable-cors",
  "cors-allow-origin",
  "cors-allow-methods",
  "cors-allow-headers",
  "cors-expose-headers",
  "cors-allow-credentials",
  "cors-max-age",
  "proxy-connect-timeout",
  "proxy-read-timeout",
  "proxy-send-timeout",
  "upstream-vhost",
  "permanent-redirect",
  "permanent-redirect-code",
  "temporal-redirect",
  "canary",
  "canary-weight",
  "canary-weight-total",
  "canary-by-header",
  "canary-by-header-value",
  "canary-by-header-pattern",
]);

/** ingress-nginx's defaults for `enable-cors`. */
const CORS_DEFAULTS = {
  allowOrigin: "*",
  allowMethods: "GET, PUT, POST, DELETE, PATCH, OPTIONS",
  allowHeaders:
    "DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization",
  maxAge: 1728000,
};
const CORS_MAX_AGE_LIMIT = 86400;

export interface CanarySettings {
  readonly weight?: number;
  readonly weightTotal: number;
  readonly header?: string;
  readonly headerValue?: string;
  readonly headerPattern?: string;
}

export interface NginxSettings {
  /** An access restriction is present: leave the Ingress out. */
  readonly restricted: boolean;
  readonly rewriteTarget?: string;
  /** Paths are regular expressions (`use-regex`, or implied by `rewrite-target`). */
  readonly regexPaths: boolean;
  readonly sslRedirect: boolean;
  readonly forceSslRedirect: boolean;
  readonly sessionPersistence?: Record<string, unknown>;
  readonly cors?: Record<string, unknown>;
  readonly timeouts?: { request: string; backendRequest: string };
  readonly upstreamHost?: string;
  readonly redirect?: { url: string; statusCode: number; annotation: string };
  readonly canary?: CanarySettings;
}

type Path = (string | number)[];

export function readNginxAnnotations(
  annotations: Readonly<Record<string, string>>,
  object: ObjectRef,
  report: ImportReport,
): NginxSettings {
  const at = (name: string): Path => ["metadata", "annotations", `${NGINX_PREFIX}${name}`];
  const get = (name: string): string | undefined => {
    const value = annotations[`${NGINX_PREFIX}${name}`];
    return typeof value === "string" ? value.trim() : undefined;
  };
  const isCanary = get("canary") === "true";
  let restricted = false;

  for (const key of Object.keys(annotations).sort()) {
    if (!key.startsWith(NGINX_PREFIX)) continue;
    const name = key.slice(NGINX_PREFIX.length);
    if (name.endsWith("-snippet") || name === "configuration-snippet") {
      report.error(
        object,
        at(name),
        "refused: snippet annotations splice raw nginx configuration (IngressNightmare, CVE-2025-1974); " +
          "Gatehouse runs no configuration from its input. Express what it did as route-table fields or a GatehousePolicy " +
          "(if it restricted access, the route is now open: review it)",
      );
    } else if (ACCESS_RESTRICTIONS.has(name)) {
      restricted = true;
      report.error(
        object,
        at(name),
        "cannot be honoured yet (the route table has no client-address or basic/external-auth rules): " +
          "the Ingress is left out rather than served without its restriction",
      );
    } else if (isCanary && HANDLED.has(name) && !name.startsWith("canary")) {
      report.warn(
        object,
        at(name),
        "ignored on a canary Ingress: ingress-nginx takes it from the main Ingress",
      );
    } else if (!HANDLED.has(name)) {
      report.error(object, at(name), "not supported by Gatehouse: ignored");
    }
  }

  const flag = (name: string, fallback: boolean): boolean => {
    const value = get(name);
    if (value === undefined) return fallback;
    if (value !== "true" && value !== "false") {
      report.error(
        object,
        at(name),
        `must be "true" or "false", not ${JSON.stringify(value)}: ${fallback} is used`,
      );
      return fallback;
    }
    return value === "true";
  };
  const seconds = (name: string): number | undefined => {
    const value = get(name);
    if (value === undefined) return undefined;
    if (!/^[0-9]{1,6}s?$/.test(value)) {
      report.error(object, at(name), `must be a number of seconds, not ${JSON.stringify(value)}: ignored`);
      return undefined;
    }
    return Number.parseInt(value, 10);
  };

  if (isCanary)
    return {
      restricted,
      regexPaths: false,
      sslRedirect: true,
      forceSslRedirect: false,
      canary: readCanary(get, at, object, report),
    };

  const rewriteTarget = get("rewrite-target");
  const settings: {
    -readonly [K in keyof NginxSettings]: NginxSettings[K];
  } = {
    restricted,
    regexPaths: flag("use-regex", false) || rewriteTarget !== undefined,
    sslRedirect: flag("ssl-redirect", true),
    forceSslRedirect: flag("force-ssl-redirect", false),
  };
  if (rewriteTarget !== undefined) settings.rewriteTarget = rewriteTarget;

  const affinity = get("affinity");
  if (affinity !== undefined) {
    if (affinity !== "cookie") {
      report.error(
        object,
        at("affinity"),
        `only "cookie" affinity exists, not ${JSON.stringify(affinity)}: ignored`,
      );
    } else {
      const maxAge = seconds("session-cookie-max-age") ?? seconds("session-cookie-expires");
      settings.sessionPersistence = {
        type: "Cookie",
        sessionName: get("session-cookie-name") ?? "INGRESSCOOKIE",
        ...(maxAge !== undefined
          ? { absoluteTimeout: duration(maxAge), cookieConfig: { lifetimeType: "Permanent" } }
          : {}),
      };
      if (get("affinity-mode") === "balanced")
        report.warn(
          object,
          at("affinity-mode"),
          "balanced mode (rebalancing sessions when pods are added) has no equivalent: sessions stay on their pod",
        );
    }
  } else {
    for (const name of [
      "affinity-mode",
      "session-cookie-name",
      "session-cookie-max-age",
      "session-cookie-expires",
    ])
      if (get(name) !== undefined) report.warn(object, at(name), 'has no effect without affinity: "cookie"');
  }

  if (flag("enable-cors", false)) {
    const split = (value: string) =>
      value
        .split(",")
        .map((part) => part.trim())
        .filter((part) => part !== "");
    let maxAge = seconds("cors-max-age") ?? CORS_DEFAULTS.maxAge;
    if (maxAge > CORS_MAX_AGE_LIMIT) {
      report.warn(
        object,
        at("cors-max-age"),
        `${maxAge} seconds${get("cors-max-age") === undefined ? " (ingress-nginx's default)" : ""} is capped at ${CORS_MAX_AGE_LIMIT} (browsers cap it lower still)`,
      );
      maxAge = CORS_MAX_AGE_LIMIT;
    }
    const expose = get("cors-expose-headers");
    settings.cors = {
      allowOrigins: split(get("cors-allow-origin") ?? CORS_DEFAULTS.allowOrigin),
      allowMethods: split(get("cors-allow-methods") ?? CORS_DEFAULTS.allowMethods),
      allowHeaders: split(get("cors-allow-headers") ?? CORS_DEFAULTS.allowHeaders),
      ...(expose ? { exposeHeaders: split(expose) } : {}),
      allowCredentials: flag("cors-allow-credentials", true),
      maxAge,
    };
  } else {
    for (const name of [
      "cors-allow-origin",
      "cors-allow-methods",
      "cors-allow-headers",
      "cors-expose-headers",
      "cors-allow-credentials",
      "cors-max-age",
    ])
      if (get(name) !== undefined) report.warn(object, at(name), 'has no effect without enable-cors: "true"');
  }

  // nginx bounds the connection (proxy-connect-timeout, default 5 s) and each wait for the upstream
  // (proxy-read-timeout, default 60 s); the table bounds one attempt up to the response headers.
  const connect = seconds("proxy-connect-timeout");
  const read = seconds("proxy-read-timeout");
  if (connect !== undefined || read !== undefined) {
    const total = duration((connect ?? 5) + (read ?? 60));
    settings.timeouts = { request: total, backendRequest: total };
  }
  if (get("proxy-send-timeout") !== undefined)
    report.warn(
      object,
      at("proxy-send-timeout"),
      "no equivalent (a per-write timeout while sending the request body): the request's timeouts apply",
    );

  const upstreamHost = get("upstream-vhost");
  if (upstreamHost !== undefined) settings.upstreamHost = upstreamHost;

  const permanent = get("permanent-redirect");
  const temporal = get("temporal-redirect");
  if (permanent !== undefined) {
    const code = get("permanent-redirect-code");
    settings.redirect = {
      url: permanent,
      statusCode: code !== undefined && /^30[1278]$/.test(code) ? Number(code) : 301,
      annotation: "permanent-redirect",
    };
    if (code !== undefined && !/^30[1278]$/.test(code))
      report.error(
        object,
        at("permanent-redirect-code"),
        `must be 301, 302, 307 or 308, not ${JSON.stringify(code)}: 301 is used`,
      );
  } else if (temporal !== undefined) {
    settings.redirect = { url: temporal, statusCode: 302, annotation: "temporal-redirect" };
  }
  for (const name of [
    "canary-weight",
    "canary-weight-total",
    "canary-by-header",
    "canary-by-header-value",
    "canary-by-header-pattern",
  ])
    if (get(name) !== undefined) report.warn(object, at(name), 'has no effect without canary: "true"');
  return settings;
}

function readCanary(
  get: (name: string) => string | undefined,
  at: (name: string) => Path,
  object: ObjectRef,
  report: ImportReport,
): CanarySettings {
  const integer = (name: string): number | undefined => {
    const value = get(name);
    if (value === undefined) return undefined;
    if (!/^[0-9]{1,7}$/.test(value)) {
      report.error(object, at(name), `must be a whole number, not ${JSON.stringify(value)}: ignored`);
      return undefined;
    }
    return Number(value);
  };
  const weightTotal = integer("canary-weight-total") ?? 100;
  let weight = integer("canary-weight");
  if (weight !== undefined && weight > weightTotal) {
    report.error(
      object,
      at("canary-weight"),
      `is more than canary-weight-total (${weightTotal}): ${weightTotal} is used`,
    );
    weight = weightTotal;
  }
  const header = get("canary-by-header");
  const headerValue = get("canary-by-header-value");
  const headerPattern = get("canary-by-header-pattern");
  if (header === undefined && (headerValue !== undefined || headerPattern !== undefined))
    report.warn(
      object,
      at(headerValue !== undefined ? "canary-by-header-value" : "canary-by-header-pattern"),
      "has no effect without canary-by-header",
    );
  return {
    weightTotal,
    ...(weight !== undefined ? { weight } : {}),
    ...(header !== undefined ? { header } : {}),
    ...(headerValue !== undefined ? { headerValue } : {}),
    ...(headerPattern !== undefined && headerValue === undefined ? { headerPattern } : {}),
  };
}

/** Seconds as a Gateway API duration, whose parts have at most five digits: 172800 → `48h`, 125 → `2m5s`. */
export function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const text = `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s ? `${s}s` : ""}`;
  return text || "0s";
}
