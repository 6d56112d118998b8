/**
 * The meaning of routes and rules beyond their shapes: hostnames, path values, regular expressions,
 * header lists, filter combinations, backends and timeouts. References between names are in
 * `references.ts`; rules that can never win in `shadowing.ts`.
 */

import { regexProblem } from "../routing/regex.ts";
import { HEADER_NAME_PATTERN, HEADER_VALUE_PATTERN } from "./constants.ts";
import { parseDuration } from "./duration.ts";
import { hostnameProblem } from "./hostnames.ts";
import { pathEncodingProblem } from "./path-values.ts";
import { type FieldPath, type ProblemReport, quote } from "./problems.ts";
import type { Filter, HeaderModifier, Match, PathModifier, Rule } from "./schema.ts";
import type { Salvaged, TableView } from "./table-view.ts";

type CorsPolicy = Extract<Filter, { type: "CORS" }>["cors"];

export function checkRoutes(view: TableView, report: ProblemReport): void {
  for (const route of view.routes) {
    const routePath: FieldPath = ["routes", route.index];
    checkRouteHostnames(route.hostnames, [...routePath, "hostnames"], report);
    route.rules.forEach((rule, i) => {
      if (rule) checkRule(rule, view, [...routePath, "rules", i], report);
    });
  }
}

function checkRouteHostnames(
  hostnames: readonly (string | undefined)[],
  path: FieldPath,
  report: ProblemReport,
): void {
  const seen = new Set<string>();
  hostnames.forEach((hostname, i) => {
    if (hostname === undefined) return;
    const problem = hostnameProblem(hostname, { wildcard: true });
    if (problem) report.error([...path, i], `${quote(hostname)} ${problem}`);
    const key = hostname.toLowerCase();
    if (seen.has(key)) report.error([...path, i], `${quote(hostname)} is listed twice`);
    seen.add(key);
  });
}

function checkRule(rule: Salvaged<Rule>, view: TableView, path: FieldPath, report: ProblemReport): void {
  rule.matches?.forEach((match, i) => {
    if (match) checkMatch(match, [...path, "matches", i], report);
  });
  checkFilters(rule, view, path, report);
  checkBackends(rule, view, path, report);
  checkTimeouts(rule, path, report);
}

// ---------------------------------------------------------------------------------------------------
// Matches

function checkMatch(match: Salvaged<Match>, path: FieldPath, report: ProblemReport): void {
  if (match.path) {
    const valuePath = [...path, "path", "value"];
    if (match.path.type === "RegularExpression") {
      const problem = regexProblem(match.path.value);
      if (problem) report.error(valuePath, problem);
    } else {
      const problem = pathValueProblem(match.path.value);
      if (problem) report.error(valuePath, problem);
    }
  }

  const headerNames = new Map<string, number>();
  match.headers?.forEach((header, i) => {
    if (!header) return;
    const headerPath = [...path, "headers", i];
    const name = header.name.toLowerCase();
    // Gateway API: of conditions naming the same header (names compare case-insensitively) the first
    // counts and later ones are ignored; the table stays valid, the author is told.
    const first = headerNames.get(name);
    if (first !== undefined)
      report.warn(
        [...headerPath, "name"],
        `header ${quote(header.name)} is already matched at headers[${first}]: only the first condition counts, this one is ignored`,
      );
    else headerNames.set(name, i);
    if (header.type === "RegularExpression") {
      const problem = regexProblem(header.value);
      if (problem) report.error([...headerPath, "value"], problem);
    } else if (!HEADER_VALUE_PATTERN.test(header.value)) {
      report.error(
        [...headerPath, "value"],
        "has characters no HTTP header value can hold (CR, LF, NUL…): it can never match",
      );
    }
  });

  const paramNames = new Set<string>();
  match.queryParams?.forEach((param, i) => {
    if (!param) return;
    const paramPath = [...path, "queryParams", i];
    if (paramNames.has(param.name))
      report.error(
        [...paramPath, "name"],
        `query parameter ${quote(param.name)} is matched twice in this match`,
      );
    paramNames.add(param.name);
    if (param.type === "RegularExpression") {
      const problem = regexProblem(param.value);
      if (problem) report.error([...paramPath, "value"], problem);
    }
  });
}

/**
 * Exact and PathPrefix values, and rewrite/redirect paths. Requests are matched (and forwarded) on the
 * normalised path, so a value that is not itself normalised could never match or would forward a path
 * the gateway never decided on.
 */
export function pathValueProblem(value: string): string | undefined {
  if (!value.startsWith("/")) return 'must start with "/"';
  if (value.includes("?")) return 'must not contain "?" (match query parameters with queryParams)';
  if (value.includes("#")) return 'must not contain "#"';
  if (/[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/.test(value)) {
    return "has characters a normalised path holds only percent-encoded (write %20 for a space, UTF-8 bytes as %XX)";
  }
  if (/\/\/|(^|\/)\.{1,2}(\/|$)/.test(value))
    return 'must be a normalised path (no "//", "." or ".." segments)';
  return pathEncodingProblem(value);
}

// ---------------------------------------------------------------------------------------------------
// Filters

/** Gateway API: these may appear at most once per rule (RequestMirror may repeat). */
const ONCE_PER_RULE = new Set<Filter["type"]>([
  "RequestHeaderModifier",
  "ResponseHeaderModifier",
  "URLRewrite",
  "RequestRedirect",
  "CORS",
]);

/** Headers the gateway itself owns on each side; a table changing them would break the exchange. */
const MANAGED_REQUEST_HEADERS = new Set([
  "connection",
  "content-length",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);
const MANAGED_RESPONSE_HEADERS = MANAGED_REQUEST_HEADERS;

function checkFilters(
  rule: Salvaged<Rule>,
  view: TableView,
  rulePath: FieldPath,
  report: ProblemReport,
): void {
  const filters = rule.filters ?? [];
  const seen = new Map<Filter["type"], number>();
  let conflictReported = false;
  const conflict = (i: number) => {
    if (conflictReported) return;
    conflictReported = true;
    report.error(
      [...rulePath, "filters", i, "type"],
      "a rule cannot both redirect (RequestRedirect) and rewrite (URLRewrite)",
    );
  };
  filters.forEach((filter, i) => {
    if (!filter) return;
    const path: FieldPath = [...rulePath, "filters", i];
    const first = seen.get(filter.type);
    if (first !== undefined && ONCE_PER_RULE.has(filter.type)) {
      report.error(
        [...path, "type"],
        `${filter.type} may appear only once in a rule (first at filters[${first}])`,
      );
    }
    if (first === undefined) seen.set(filter.type, i);

    switch (filter.type) {
      case "RequestHeaderModifier":
        checkHeaderModifier(
          filter.requestHeaderModifier,
          [...path, "requestHeaderModifier"],
          "request",
          report,
        );
        break;
      case "ResponseHeaderModifier":
        checkHeaderModifier(
          filter.responseHeaderModifier,
          [...path, "responseHeaderModifier"],
          "response",
          report,
        );
        break;
      case "URLRewrite": {
        const rewrite = filter.urlRewrite;
        const at: FieldPath = [...path, "urlRewrite"];
        if (rewrite.hostname === undefined && rewrite.path === undefined && !view.incomplete(rewrite)) {
          report.error(at, "must set hostname or path");
        }
        if (rewrite.hostname !== undefined) checkPlainHostname(rewrite.hostname, [...at, "hostname"], report);
        if (rewrite.path) checkPathModifier(rule, rewrite.path, [...at, "path"], report);
        if (seen.has("RequestRedirect")) conflict(i);
        break;
      }
      case "RequestRedirect": {
        const redirect = filter.requestRedirect;
        const at: FieldPath = [...path, "requestRedirect"];
        if (redirect.hostname !== undefined)
          checkPlainHostname(redirect.hostname, [...at, "hostname"], report);
        if (redirect.path) checkPathModifier(rule, redirect.path, [...at, "path"], report);
        if ((seen.get("URLRewrite") ?? i) < i) conflict(i);
        break;
      }
      case "CORS":
        checkCors(filter.cors, [...path, "cors"], report);
        break;
      case "RequestMirror":
        break;
    }
  });
}

function checkHeaderModifier(
  modifier: Salvaged<HeaderModifier>,
  path: FieldPath,
  side: "request" | "response",
  report: ProblemReport,
): void {
  const managed = side === "request" ? MANAGED_REQUEST_HEADERS : MANAGED_RESPONSE_HEADERS;
  const checkName = (name: string, at: FieldPath) => {
    const lower = name.toLowerCase();
    if (side === "request" && lower === "host") {
      report.error(at, '"host" cannot be modified here: use a URLRewrite filter with hostname');
    } else if (managed.has(lower)) {
      report.error(at, `${quote(name)} is managed by the gateway and cannot be modified`);
    }
  };
  for (const list of ["set", "add"] as const) {
    const names = new Set<string>();
    modifier[list]?.forEach((header, i) => {
      if (!header) return;
      const at = [...path, list, i, "name"];
      checkName(header.name, at);
      if (names.has(header.name.toLowerCase())) report.error(at, `${quote(header.name)} is listed twice`);
      names.add(header.name.toLowerCase());
    });
  }
  const removed = new Set<string>();
  modifier.remove?.forEach((name, i) => {
    if (name === undefined) return;
    checkName(name, [...path, "remove", i]);
    if (removed.has(name.toLowerCase()))
      report.error([...path, "remove", i], `${quote(name)} is listed twice`);
    removed.add(name.toLowerCase());
  });
}

function checkPlainHostname(hostname: string, path: FieldPath, report: ProblemReport): void {
  const problem = hostnameProblem(hostname, { wildcard: false });
  if (problem) report.error(path, `${quote(hostname)} ${problem}`);
}

function checkPathModifier(
  rule: Salvaged<Rule>,
  modifier: Salvaged<PathModifier>,
  path: FieldPath,
  report: ProblemReport,
): void {
  if (modifier.type === "ReplaceFullPath") {
    const problem = pathValueProblem(modifier.replaceFullPath);
    if (problem) report.error([...path, "replaceFullPath"], problem);
    return;
  }
  // "" is a valid replacement (Gateway API: prefix `/foo`, replacement "": `/foo/bar` → `/bar`).
  if (modifier.replacePrefixMatch !== "") {
    const problem = pathValueProblem(modifier.replacePrefixMatch);
    if (problem) report.error([...path, "replacePrefixMatch"], problem);
  }
  // Gateway API: exactly one match, a PathPrefix one, says which part of the path to replace. A rule
  // without matches has the one default match, `PathPrefix /`.
  const matches = rule.matches ?? [];
  if (matches.length > 1) {
    report.error(
      path,
      `ReplacePrefixMatch needs exactly one match in its rule, a PathPrefix match (the rule has ${matches.length})`,
    );
  } else if (matches[0] !== undefined && (matches[0].path?.type ?? "PathPrefix") !== "PathPrefix") {
    report.error(
      path,
      `ReplacePrefixMatch needs exactly one match in its rule, a PathPrefix match (matches[0] is ${matches[0].path?.type})`,
    );
  }
}

// An origin as browsers send it, optionally with a wildcard first label (Gateway API CORS).
const CORS_ORIGIN = /^https?:\/\/(\*\.)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?$/;

function checkCors(cors: Salvaged<CorsPolicy>, path: FieldPath, report: ProblemReport): void {
  cors.allowOrigins?.forEach((origin, i) => {
    if (origin === undefined) return;
    if (origin !== "*" && !CORS_ORIGIN.test(origin)) {
      report.error(
        [...path, "allowOrigins", i],
        `${quote(origin)} must be "*" or an origin such as https://app.example.com or https://*.example.com (no path)`,
      );
    }
  });
  cors.allowMethods?.forEach((method, i) => {
    if (method !== undefined && method !== "*" && !HEADER_NAME_PATTERN.test(method))
      report.error([...path, "allowMethods", i], `${quote(method)} is not an HTTP method`);
  });
  for (const list of ["allowHeaders", "exposeHeaders"] as const) {
    cors[list]?.forEach((name, i) => {
      if (name !== undefined && name !== "*" && !HEADER_NAME_PATTERN.test(name))
        report.error([...path, list, i], `${quote(name)} is not a valid HTTP header name`);
    });
  }
}

// ---------------------------------------------------------------------------------------------------
// Backends and timeouts

function checkBackends(rule: Salvaged<Rule>, view: TableView, path: FieldPath, report: ProblemReport): void {
  const redirects = rule.filters?.some((filter) => filter?.type === "RequestRedirect") ?? false;
  const refs = rule.backendRefs ?? [];
  if (redirects) {
    // Decided: an error, not a warning. The redirect answers at the edge, so backends listed beside it
    // would never see a request, and a reader could not tell which of the two the author meant.
    if (refs.length > 0) {
      report.error(
        [...path, "backendRefs"],
        "a rule with a RequestRedirect filter answers at the edge: remove its backendRefs (they would never be used)",
      );
    }
    return;
  }
  const names = new Map<string, number>();
  refs.forEach((ref, i) => {
    if (!ref) return;
    const first = names.get(ref.name);
    if (first !== undefined)
      report.error(
        [...path, "backendRefs", i, "name"],
        `cluster ${quote(ref.name)} is listed twice (first at backendRefs[${first}])`,
      );
    else names.set(ref.name, i);
  });
  // A warning is a conclusion from what the rule lacks: not drawn where malformed parts were dropped.
  if (view.incomplete(rule)) return;
  if (refs.length === 0) {
    report.warn(path, "has no backendRefs and no RequestRedirect: every request it matches is answered 500");
  } else if (refs.every((ref) => ref?.weight === 0)) {
    report.warn(
      [...path, "backendRefs"],
      "every backendRef has weight 0: every request the rule matches is answered 500",
    );
  }
}

function checkTimeouts(rule: Salvaged<Rule>, path: FieldPath, report: ProblemReport): void {
  const request = rule.timeouts?.request;
  const backendRequest = rule.timeouts?.backendRequest;
  if (request === undefined || backendRequest === undefined) return;
  const requestMs = parseDuration(request);
  const backendMs = parseDuration(backendRequest);
  if (requestMs > 0 && backendMs > requestMs) {
    report.error(
      [...path, "timeouts", "backendRequest"],
      `must not be longer than the request timeout (${request})`,
    );
  }
}
