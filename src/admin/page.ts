/**
 * The human status page: one self-contained HTML document (no scripts, no external assets) that an
 * operator reads at a glance: which table is in force, whether anything is wrong, the routes as a
 * table, and health as colours.
 */
import type { GatewayConfig } from "../gateway/compile.ts";
import {
  describeAuth,
  describeBackends,
  describeFilter,
  describeHostnames,
  describeMatches,
} from "../store/diff.ts";
import { html, type SafeHtml, trustedHtml } from "./html.ts";
import type { StatusDocument } from "./status.ts";
import type { RouteTraffic, TrafficReport } from "./traffic.ts";

/** What the request asked to see, and who is looking. */
export interface PageView {
  /** Search text: routes whose id, hostnames, matches, backends, filters or auth contain it. */
  query: string;
  /** 1-based page of ROUTES_PER_PAGE routes. */
  page: number;
  traffic: TrafficReport;
  viewer: string;
  canSignOut: boolean;
}

/** Routes per page: the page stays small whatever the table's size (search and paging are server-side). */
export const ROUTES_PER_PAGE = 50;
/** Busiest routes shown in the traffic section. */
const TRAFFIC_ROWS = 25;

const STYLE = trustedHtml(`
:root { color-scheme: light dark; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --idle: #6e7781;
  --line: #d0d7de; --muted: #57606a; --bg-alt: rgba(127,127,127,.08); }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; padding: 24px;
  max-width: 1280px; }
h1 { font-size: 22px; margin: 0; } h2 { font-size: 16px; margin: 28px 0 8px; }
.sub, .muted { color: var(--muted); }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 12px; margin-top: 16px;
  align-items: start; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 17px; margin-top: 2px; overflow-wrap: anywhere; }
.card .detail { color: var(--muted); font-size: 12px; margin-top: 2px; overflow-wrap: anywhere; }
.banner { border-radius: 8px; padding: 10px 14px; margin-top: 16px; border: 1px solid; }
.banner.bad { border-color: var(--bad); background: rgba(207,34,46,.08); }
.banner.warn { border-color: var(--warn); background: rgba(154,103,0,.08); }
.banner.ok { border-color: var(--ok); background: rgba(26,127,55,.08); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); }
th { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
tbody tr:nth-child(even) { background: var(--bg-alt); }
.pill { display: inline-block; border-radius: 999px; padding: 1px 9px; color: #fff; font-size: 12px; font-weight: 600; }
.pill.ok { background: var(--ok); } .pill.warn { background: var(--warn); } .pill.bad { background: var(--bad); }
.pill.idle { background: var(--idle); }
header { display: flex; justify-content: space-between; align-items: flex-start; gap: 16px; flex-wrap: wrap; }
.who { font-size: 12px; color: var(--muted); text-align: right; }
.who form { display: inline; } button, input[type=submit] { font: inherit; cursor: pointer; }
form.search { display: flex; gap: 8px; margin: 8px 0; align-items: center; flex-wrap: wrap; }
form.search input[type=search] { font: inherit; padding: 5px 8px; min-width: 280px; border: 1px solid var(--line);
  border-radius: 6px; }
.pager { display: flex; gap: 12px; align-items: center; margin: 8px 0; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
svg.spark { display: block; } svg.spark .req { fill: #0969da; } svg.spark .err { fill: var(--bad); }
ul.filters { margin: 0; padding-left: 16px; }
.signin { max-width: 420px; margin: 10vh auto; } .signin input[type=password] { width: 100%; font: inherit;
  padding: 8px; margin: 8px 0 12px; border: 1px solid var(--line); border-radius: 6px; }
.signin .error { color: var(--bad); }
`);

type Tone = "ok" | "warn" | "bad" | "idle";

function pill(text: string, tone: Tone): SafeHtml {
  return html`<span class="pill ${tone}">${text}</span>`;
}

const HEALTH_TONE: Record<string, Tone> = { healthy: "ok", ejected: "bad", unknown: "idle" };
const KEY_SET_TONE: Record<string, Tone> = {
  ready: "ok",
  stale: "warn",
  unfetched: "idle",
  failed: "bad",
  "missing-secret": "bad",
};

function card(label: string, value: SafeHtml | string, detail?: string): SafeHtml {
  return html`<div class="card"><div class="label">${label}</div><div class="value">${value}</div>${
    detail ? html`<div class="detail">${detail}</div>` : ""
  }</div>`;
}

/** `2026-11-25 10:55:00Z`: ISO times, shorter. */
function when(iso: string | undefined): string {
  if (!iso) return "—";
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]}Z` : iso;
}

function endpointsCard(status: StatusDocument): SafeHtml {
  const endpoints = status.clusters.flatMap((c) => c.endpoints);
  if (endpoints.length === 0) return card("Endpoints", "—");
  const out = endpoints.filter((e) => !e.takesTraffic).length;
  const tone: Tone = out === 0 ? "ok" : out === endpoints.length ? "bad" : "warn";
  return card(
    "Endpoints",
    html`${endpoints.length - out} / ${endpoints.length} ${pill(out === 0 ? "taking traffic" : `${out} out`, tone)}`,
    "neither passive nor active health says down, this isolate",
  );
}

function summary(status: StatusDocument): SafeHtml {
  const t = status.table;
  const refresh = status.refresh;
  return html`<div class="cards">
${card("Version", t ? html`<span class="mono">${t.id}</span>` : "none", t ? `sha256 ${t.hash.slice(0, 16)}…` : undefined)}
${card("Published", when(t?.publishedAt), t?.publishedBy ? `by ${t.publishedBy}` : undefined)}
${card("Loaded here", when(t?.loadedAt))}
${card("Routes / rules", t ? `${t.routes} / ${t.rules}` : "—")}
${endpointsCard(status)}
${card(
  "Refresh",
  html`every ${refresh.intervalSeconds}s ${refresh.upToDate ? pill("up to date", "ok") : pill("behind", "warn")}`,
  refresh.lastCheckedAt ? `pointer read ${when(refresh.lastCheckedAt)}` : "pointer never read",
)}
</div>`;
}

function banners(status: StatusDocument): SafeHtml {
  const out: SafeHtml[] = [];
  const source = status.source;
  if (source.state === "unpublished") {
    out.push(
      html`<div class="banner bad"><strong>No route table.</strong> Every request is answered 503 <code>no_route_table</code>. Publish one with <code>gatehouse push FILE</code>.</div>`,
    );
  } else if (source.state === "unavailable") {
    out.push(
      html`<div class="banner bad"><strong>No loadable route table.</strong> Every request is answered 503 <code>route_table_unavailable</code>: ${source.summary}. Repair with <code>gatehouse rollback</code>.</div>`,
    );
  } else if (source.state === "fallback") {
    out.push(html`<div class="banner warn"><strong>Serving a fallback.</strong> ${source.summary}.</div>`);
  }
  const error = status.lastLoadError;
  if (error && error.message !== source.reasonMessage) {
    out.push(
      html`<div class="banner ${error.kind === "rejected" ? "bad" : "warn"}"><strong>${error.kind === "rejected" ? "A version was skipped" : "Waiting on KV"}</strong> (${error.at}): ${error.message}</div>`,
    );
  }
  if (status.missingBindings.length > 0) {
    out.push(
      html`<div class="banner bad"><strong>Missing bindings.</strong> Requests to these clusters or providers fail until the worker has them:<ul>${status.missingBindings.map(
        (m) => html`<li><code>${m.binding}</code> (${m.path}): ${m.message}</li>`,
      )}</ul></div>`,
    );
  }
  if (out.length === 0)
    out.push(html`<div class="banner ok">Serving the active version; nothing to report.</div>`);
  return html`${out}`;
}

function ruleFilters(rule: GatewayConfig["table"]["routes"][number]["rules"][number]): SafeHtml {
  const filters = rule.filters ?? [];
  if (filters.length === 0) return html`<span class="muted">—</span>`;
  return html`<ul class="filters">${filters.map((f) => html`<li>${describeFilter(f)}</li>`)}</ul>`;
}

type TableRoute = GatewayConfig["table"]["routes"][number];

/** Everything a search looks in, lower-cased; built only when a search is made. */
function searchText(route: TableRoute): string {
  const parts = [route.id, describeHostnames(route.hostnames)];
  for (const rule of route.rules) {
    parts.push(
      rule.name ?? "",
      describeMatches(rule.matches),
      describeBackends(rule.backendRefs),
      describeAuth(rule.auth),
      ...(rule.filters ?? []).map(describeFilter),
    );
  }
  return parts.join("\u0000").toLowerCase();
}

function pageLink(query: string, page: number): string {
  const params = new URLSearchParams();
  if (query !== "") params.set("q", query);
  if (page > 1) params.set("page", String(page));
  const text = params.toString();
  return text === "" ? "/" : `/?${text}`;
}

function routesSection(gateway: GatewayConfig | undefined, view: PageView): SafeHtml {
  if (!gateway || gateway.table.routes.length === 0) return html`<p class="muted">No routes.</p>`;
  const all = gateway.table.routes;
  const needle = view.query.trim().toLowerCase();
  const found = needle === "" ? all : all.filter((route) => searchText(route).includes(needle));
  const pages = Math.max(1, Math.ceil(found.length / ROUTES_PER_PAGE));
  const page = Math.min(Math.max(1, view.page), pages);
  const shown = found.slice((page - 1) * ROUTES_PER_PAGE, page * ROUTES_PER_PAGE);
  const rows = shown.flatMap((route) =>
    route.rules.map(
      (rule, i) => html`<tr>
${i === 0 ? html`<td rowspan="${route.rules.length}"><strong>${route.id}</strong></td><td rowspan="${route.rules.length}">${describeHostnames(route.hostnames)}</td>` : ""}
<td>${rule.name ?? String(i)}</td><td class="mono">${describeMatches(rule.matches)}</td>
<td class="mono">${ruleFilters(rule)}</td>
<td class="mono">${describeBackends(rule.backendRefs)}</td><td>${describeAuth(rule.auth)}</td></tr>`,
    ),
  );
  const first = found.length === 0 ? 0 : (page - 1) * ROUTES_PER_PAGE + 1;
  const summary = `${first}–${(page - 1) * ROUTES_PER_PAGE + shown.length} of ${found.length} route${found.length === 1 ? "" : "s"}${needle === "" ? "" : ` matching “${view.query.trim()}” (of ${all.length})`}`;
  const pager = html`<div class="pager"><span class="muted" id="route-count">${summary}</span>
${page > 1 ? html`<a href="${pageLink(view.query, page - 1)}" rel="prev">← previous</a>` : ""}
${page < pages ? html`<a href="${pageLink(view.query, page + 1)}" rel="next">next →</a>` : ""}
<span class="muted">page ${page} of ${pages}</span></div>`;
  return html`<form class="search" method="get" action="/"><input type="search" name="q" value="${view.query}" placeholder="route, host, path, backend, filter, provider" aria-label="Search routes"><input type="submit" value="Search">${needle === "" ? "" : html`<a href="/">clear</a>`}</form>
${pager}
${shown.length === 0 ? html`<p class="muted">No route matches.</p>` : html`<table id="routes"><thead><tr><th>Route</th><th>Hosts</th><th>Rule</th><th>Matches</th><th>Filters</th><th>Backends</th><th>Auth</th></tr></thead><tbody>${rows}</tbody></table>`}
${pages > 1 ? pager : ""}`;
}

/** Bars for requests per 5-minute slot, the 5xx share of each bar in red: read at a glance, no script. */
function sparkline(points: RouteTraffic["points"]): SafeHtml {
  const width = 120;
  const height = 24;
  const bar = width / Math.max(1, points.length);
  const top = Math.max(1, ...points.map((p) => p.requests));
  const bars = points.map((p, i) => {
    if (p.requests === 0) return html``;
    const h = Math.max(1, (p.requests / top) * height);
    const e = p.errors === 0 ? 0 : Math.max(1, (p.errors / top) * height);
    const x = (i * bar + 0.5).toFixed(1);
    const w = Math.max(1, bar - 1).toFixed(1);
    return html`<rect class="req" x="${x}" y="${(height - h).toFixed(1)}" width="${w}" height="${h.toFixed(1)}"><title>${new Date(p.start * 1000).toISOString().slice(11, 16)}Z: ${p.requests} requests, ${p.errors} errors</title></rect>${
      e > 0
        ? html`<rect class="err" x="${x}" y="${(height - e).toFixed(1)}" width="${w}" height="${e.toFixed(1)}"></rect>`
        : ""
    }`;
  });
  return html`<svg class="spark" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="requests per 5 minutes over the last hour">${bars}</svg>`;
}

function rate(part: number, whole: number): string {
  if (whole === 0) return "—";
  const pct = (part / whole) * 100;
  return pct === 0 ? "0%" : pct < 0.1 ? "<0.1%" : `${pct.toFixed(pct < 10 ? 1 : 0)}%`;
}

function trafficSection(report: TrafficReport): SafeHtml {
  const note = html`<p class="muted" id="traffic-source">${report.label}.${report.problem ? html` <strong>The Analytics Engine query failed</strong> (${report.problem}); showing this isolate's counters instead.` : ""}</p>`;
  if (report.routes.length === 0) return html`${note}<p class="muted">No requests in the last hour.</p>`;
  const minutes = report.windowSeconds / 60;
  const rows = report.routes.slice(0, TRAFFIC_ROWS).map((r) => {
    const errorShare = r.requests === 0 ? 0 : r.errors / r.requests;
    const tone: Tone = errorShare >= 0.05 ? "bad" : errorShare > 0 ? "warn" : "ok";
    return html`<tr><td><strong>${r.route}</strong></td><td class="num">${(r.requests / minutes).toFixed(r.requests / minutes < 10 ? 2 : 0)}/min</td>
<td class="num">${pill(rate(r.errors, r.requests), tone)}</td><td class="num">${r.p99Ms === undefined ? "—" : `${report.source === "isolate" ? "≤ " : ""}${r.p99Ms} ms`}</td>
<td>${sparkline(r.points)}</td></tr>`;
  });
  const more =
    report.routes.length > TRAFFIC_ROWS
      ? html`<p class="muted">${report.routes.length - TRAFFIC_ROWS} quieter routes not shown (GET /traffic has them all).</p>`
      : "";
  return html`${note}<table id="traffic"><thead><tr><th>Route</th><th class="num">Requests</th><th class="num">Errors (5xx)</th><th class="num">p99</th><th>Last hour</th></tr></thead><tbody>${rows}</tbody></table>${more}`;
}

const ACTIVE_TONE: Record<string, Tone> = { up: "ok", down: "bad", unknown: "idle" };

function passiveCell(e: StatusDocument["clusters"][number]["endpoints"][number]): SafeHtml {
  const failing = e.health === "healthy" && (e.consecutiveErrors ?? 0) > 0;
  const verdict = failing
    ? pill("healthy, failing", "warn")
    : pill(e.health, HEALTH_TONE[e.health] ?? "idle");
  const detail =
    e.health === "ejected"
      ? `since ${when(e.ejectedAt)}, until ${when(e.ejectedUntil)}`
      : `${e.consecutiveErrors ?? 0} consecutive errors, as of this page`;
  return html`${verdict}<div class="muted">${detail}</div>`;
}

function activeCell(e: StatusDocument["clusters"][number]["endpoints"][number]): SafeHtml {
  const active = e.active;
  if (active === undefined) return html`<span class="muted">not checked</span>`;
  if (active.verdict === "unknown")
    return html`${pill("unknown", "idle")}<div class="muted">no verdict read yet</div>`;
  return html`${pill(active.verdict, ACTIVE_TONE[active.verdict] ?? "idle")}<div class="muted">since ${when(active.since)}; last probe ${when(active.checkedAt)}: <span class="mono">${active.result}</span></div>`;
}

function clustersTable(status: StatusDocument): SafeHtml {
  if (status.clusters.length === 0) return html`<p class="muted">No clusters.</p>`;
  const rows = status.clusters.flatMap((cluster) =>
    cluster.endpoints.map(
      (e, i) => html`<tr>
${i === 0 ? html`<td rowspan="${cluster.endpoints.length}"><strong>${cluster.name}</strong><div class="muted">${cluster.transport}, ${cluster.loadBalancer}</div></td>` : ""}
<td class="mono">${e.name ? `${e.name} ` : ""}${e.url}</td><td>${e.weight}</td>
<td>${e.takesTraffic ? pill("yes", "ok") : pill("no", e.weight > 0 ? "bad" : "idle")}</td>
<td>${passiveCell(e)}</td><td>${activeCell(e)}</td></tr>`,
    ),
  );
  return html`<table><thead><tr><th>Cluster</th><th>Endpoint</th><th>Weight</th><th>Takes traffic</th><th>Passive health</th><th>Active health</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function providersTable(status: StatusDocument): SafeHtml {
  if (status.providers.length === 0) return html`<p class="muted">No JWT providers.</p>`;
  const rows = status.providers.map(
    (p) => html`<tr><td><strong>${p.provider}</strong></td><td>${p.kind}</td>
<td>${pill(p.state, KEY_SET_TONE[p.state] ?? "idle")}</td><td>${p.keys}</td><td>${when(p.fetchedAt)}</td>
<td>${p.error ?? ""}</td></tr>`,
  );
  return html`<table><thead><tr><th>Provider</th><th>Keys from</th><th>State</th><th>Keys</th><th>Fetched</th><th>Note</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function rejectedList(status: StatusDocument): SafeHtml {
  if (status.rejectedVersions.length === 0) return html``;
  return html`<h2>Skipped versions</h2><table><thead><tr><th>Version</th><th>Reason</th><th>Why</th></tr></thead><tbody>${status.rejectedVersions.map(
    (r) =>
      html`<tr><td class="mono">${r.version}</td><td><code>${r.code}</code></td><td>${r.reason}</td></tr>`,
  )}</tbody></table>`;
}

function who(view: PageView): SafeHtml {
  return html`<div class="who">Signed in: ${view.viewer}${
    view.canSignOut
      ? html` · <form method="post" action="/sign-out"><button type="submit">Sign out</button></form>`
      : ""
  }</div>`;
}

export function renderStatusPage(
  status: StatusDocument,
  gateway: GatewayConfig | undefined,
  view: PageView,
): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gatehouse status${status.table ? ` · ${status.table.id}` : ""}</title><style>${STYLE}</style></head>
<body>
<header><div><h1>Gatehouse</h1><div class="sub">As this isolate sees it, at ${status.generatedAt}. Health and key sets are per isolate; reload for fresh figures.</div></div>${who(view)}</header>
${summary(status)}
${banners(status)}
<h2>Traffic, last hour</h2>${trafficSection(view.traffic)}
<h2>Routes</h2>${routesSection(gateway, view)}
<h2>Clusters</h2>${clustersTable(status)}
<h2>JWT providers</h2>${providersTable(status)}
${rejectedList(status)}
<p class="muted">Machine-readable: <code>GET /status</code> and <code>GET /traffic</code> with the same credentials.</p>
</body></html>`.text;
}

/** The local-development sign-in form (session.ts); `error` after a wrong token. */
export function renderSignInPage(error: string | undefined): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gatehouse status · sign in</title><style>${STYLE}</style></head>
<body><main class="signin"><h1>Gatehouse</h1>
<p class="muted">Sign in to the status page with the admin token (the <code>ADMIN_TOKEN</code> secret). In production, put the admin host behind Cloudflare Access instead.</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ""}
<form method="post" action="/sign-in"><label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<input type="submit" value="Sign in"></form></main></body></html>`.text;
}
