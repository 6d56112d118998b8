/**
 * `npm run bench -- matcher`: route lookups per second and compile time at 10, 1,000, 10,000 and
 * 100,000 routes, for the compiled matcher, Hono's RegExpRouter and TrieRouter and a plain linear scan,
 * on the same generated tables and the same requests.
 *
 * Tables are generated from a fixed seed (bench/support/route-tables.ts) and look like a multi-tenant
 * gateway: many service hosts with a few API prefixes each, some exact health paths and numeric-id
 * regexes, header and method conditions on a few rules, tenant wildcard hosts, and a handful of routes
 * without hostnames. Requests hit random rules (about 10 % match nothing).
 *
 * Hono's RegExpRouter knows paths and methods only. It gets host + path keys (`/host/path`, the way a
 * Hono app routes by host with `getPath`), wildcard hosts as a `:host{…}` parameter, routes without
 * hostnames as a `:host` parameter, element-wise prefixes as `/prefix/*`, our regexes as a
 * `:id{[0-9]+}` segment; routes are added in our precedence order and the first handler wins. It
 * cannot express header conditions (they are dropped, so it answers a different, easier question),
 * and its build step pairs every path with every wildcard path, which is quadratic: it is skipped where
 * that would take minutes.
 *
 * Then "Regex match cost": one whole-value match, V8's backtracking RegExp (`^(?:P)$`, what the matcher
 * ran before issue 11) against the RE2 engine it runs now (`src/routing/regex.ts`), on ordinary and
 * adversarial patterns. A backtracking run that would not finish is measured on growing subjects
 * until one run takes over `BACKTRACK_LIMIT_MS`, and the longest subject it finished is shown.
 * `MATCHER_SIZES=0` runs only this part (and "The hot route by table shape", unless `MATCHER_SHAPES=0`):
 * one request's lookup when its 10 routes sit in a 10-route table and in 10,000-route tables of
 * different shapes.
 */
import { loadavg } from "node:os";
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { TrieRouter } from "hono/router/trie-router";
import { type RouteTable, RouteTableSchema } from "../src/config/schema.ts";
import {
  comparePrecedence,
  compileRouteTable,
  findAmbiguity,
  type MatchInput,
  matchRoute,
  normalizeHost,
  normalizePath,
} from "../src/routing/index.ts";
import { compileTableRegex } from "../src/routing/regex.ts";
import {
  crowdedHostRoutes,
  type GeneratedRequest,
  type GeneratedRoute,
  generateRequests,
  generateRoutes,
  prng,
  routeTableRoutes,
} from "./support/route-tables.ts";

/** `MATCHER_SIZES=1000,10000 npm run bench -- matcher` to run fewer sizes. */
const SIZES = (process.env.MATCHER_SIZES ?? "10,1000,10000,100000")
  .split(",")
  .map(Number)
  .filter((n) => n > 0);
/** RegExpRouter's build is quadratic in wildcard paths: 10,000 routes take over half a minute. */
const HONO_REGEXP_MAX_ROUTES = Number(process.env.HONO_REGEXP_MAX_ROUTES ?? 1_000);
/** Distinct requests cycled through (a power of two); fewer means a hotter cache. */
const REQUESTS = Number(process.env.MATCHER_REQUESTS ?? 4096);
const WARM_UP_MS = 300;
const WINDOWS = 7;
const WINDOW_MS = 60;

// ---------------------------------------------------------------------------------------------------
// Generated tables and requests

function tableOf(routes: GeneratedRoute[]): RouteTable {
  return RouteTableSchema.parse({ version: 1, routes: routeTableRoutes(routes, "svc") });
}

interface RawRequest extends Omit<GeneratedRequest, "headers"> {
  headers: Headers;
}

function requestsFor(routes: GeneratedRoute[], random: () => number): RawRequest[] {
  return generateRequests(routes, REQUESTS, random).map((r) => ({ ...r, headers: new Headers(r.headers) }));
}

function matchInputOf(request: RawRequest): MatchInput {
  const normalized = normalizePath(request.path, { allowEncodedSlashes: false });
  if (!normalized.ok) throw new Error(normalized.reason);
  return {
    method: request.method,
    host: normalizeHost(request.host),
    path: normalized.path,
    query: new URLSearchParams(request.search),
    headers: request.headers,
  };
}

// ---------------------------------------------------------------------------------------------------
// The three matchers, each behind the same two calls

interface Matcher {
  name: string;
  /** Milliseconds to turn the parsed table into something that answers lookups. */
  compileMs: number;
  lookup(index: number): unknown;
  note?: string;
}

function gatehouse(table: RouteTable, inputs: MatchInput[]): Matcher {
  const compileMs = medianMs(table.routes.length >= 100_000 ? 3 : 5, () => compileRouteTable(table));
  const compiled = compileRouteTable(table);
  return { name: "Gatehouse matcher", compileMs, lookup: (i) => matchRoute(compiled, inputs[i]!) };
}

/** The same, from raw method/host/path/query: the full per-request routing cost. */
function gatehouseWithNormalisation(table: RouteTable, requests: RawRequest[]): Matcher {
  const compiled = compileRouteTable(table);
  return {
    name: "Gatehouse, normalise + match",
    compileMs: Number.NaN,
    lookup: (i) => matchRoute(compiled, matchInputOf(requests[i]!)),
  };
}

/**
 * Match, then the origin-readings check (`path-ambiguity.ts`) on a table where every fourth route's
 * first rule requires auth, so most hosts mix protected and open rules; every eighth request's path is
 * upper-cased, so the case reading has work. Compile time includes the plan (and the case-folded copy
 * when values have upper case, which generated ones do not).
 */
function gatehouseWithReadings(table: RouteTable, inputs: MatchInput[]): Matcher {
  const mixed: RouteTable = {
    ...table,
    routes: table.routes.map((route, r) =>
      r % 4 === 0
        ? {
            ...route,
            rules: route.rules.map((rule, u) => (u === 0 ? { ...rule, auth: { provider: "p" } } : rule)),
          }
        : route,
    ),
  };
  const shouted = inputs.map((input, i) =>
    i % 8 === 0 ? { ...input, path: input.path.toUpperCase() } : input,
  );
  const compileMs = medianMs(table.routes.length >= 100_000 ? 3 : 5, () => compileRouteTable(mixed));
  const compiled = compileRouteTable(mixed);
  return {
    name: "Gatehouse, match + origin readings (mixed protection)",
    compileMs,
    lookup: (i) => {
      const input = shouted[i]!;
      const match = matchRoute(compiled, input);
      return match && (findAmbiguity(compiled, input, match) ?? match);
    },
  };
}

type GeneratedMatch = NonNullable<RouteTable["routes"][number]["rules"][number]["matches"]>[number];

/**
 * The precedence key of a generated rule's one match, shared by the linear scan and the Hono tables
 * (both order their routes by it). Generated paths are already normalised, so the raw length serves.
 */
function precedenceKey(
  path: NonNullable<GeneratedMatch["path"]>,
  match: GeneratedMatch,
  routeIndex: number,
  ruleIndex: number,
): Parameters<typeof comparePrecedence>[0] {
  return {
    pathKind: path.type === "Exact" ? 0 : path.type === "RegularExpression" ? 1 : 2,
    pathLength: path.value.length,
    hasMethod: match.method !== undefined,
    headerCount: match.headers?.length ?? 0,
    queryCount: 0,
    routeIndex,
    ruleIndex,
    matchIndex: 0,
  };
}

/** Every rule in precedence order, scanned whole for each request (early exit on an exact-host hit). */
function linearScan(table: RouteTable, inputs: MatchInput[]): Matcher {
  type Entry = { hosts: string[]; regex?: RegExp; key: Parameters<typeof comparePrecedence>[0] } & {
    path: string;
    kind: string;
    method?: string;
    canary: boolean;
    rule: unknown;
  };
  const build = (): Entry[] => {
    const entries: Entry[] = [];
    table.routes.forEach((route, routeIndex) => {
      route.rules.forEach((rule, ruleIndex) => {
        const match = rule.matches![0]!;
        const path = match.path!;
        entries.push({
          hosts: route.hostnames ?? [],
          path: path.value,
          kind: path.type,
          regex: path.type === "RegularExpression" ? new RegExp(`^(?:${path.value})$`) : undefined,
          method: match.method,
          canary: (match.headers?.length ?? 0) > 0,
          rule,
          key: precedenceKey(path, match, routeIndex, ruleIndex),
        });
      });
    });
    return entries.sort((a, b) => comparePrecedence(a.key, b.key));
  };
  const compileMs = medianMs(3, build);
  const entries = build();
  const tierOf = (hosts: string[], host: string): number => {
    if (hosts.length === 0) return 1e9;
    let best = Number.POSITIVE_INFINITY;
    for (const h of hosts) {
      if (h === host) return 0;
      if (h.startsWith("*.") && host.endsWith(h.slice(1))) best = Math.min(best, 1e6 - h.length);
    }
    return best;
  };
  const holds = (e: Entry, input: MatchInput): boolean => {
    if (e.method !== undefined && e.method !== input.method) return false;
    if (e.canary && input.headers.get("x-canary") !== "1") return false;
    if (e.kind === "Exact") return input.path === e.path;
    if (e.kind === "RegularExpression") return e.regex!.test(input.path);
    return input.path === e.path || input.path.startsWith(`${e.path}/`);
  };
  return {
    name: "linear scan",
    compileMs,
    lookup: (i) => {
      const input = inputs[i]!;
      let best: Entry | undefined;
      let bestTier = Number.POSITIVE_INFINITY;
      for (const e of entries) {
        const tier = tierOf(e.hosts, input.host);
        if (tier < bestTier && holds(e, input)) {
          best = e;
          bestTier = tier;
          if (tier === 0) break;
        }
      }
      return best?.rule;
    },
  };
}

interface HonoEntry {
  method: string;
  honoPath: string;
  rule: unknown;
  exactHost: boolean;
}

/** Rules as Hono paths, in our precedence order (hostname tier first): Hono's first handler wins. */
function honoEntries(table: RouteTable): HonoEntry[] {
  const routeTier = (hostnames: string[] | undefined): number =>
    !hostnames?.length ? 2 : hostnames[0]!.startsWith("*.") ? 1 - hostnames[0]!.length / 1e4 : 0;
  const entries = table.routes.flatMap((route, routeIndex) =>
    route.rules.map((rule, ruleIndex) => {
      const match = rule.matches![0]!;
      const path = match.path!;
      return {
        tier: routeTier(route.hostnames),
        key: precedenceKey(path, match, routeIndex, ruleIndex),
        method: match.method ?? "ALL",
        honoPath: honoPathOf(route.hostnames?.[0], path.type, path.value),
        rule,
        exactHost: routeTier(route.hostnames) === 0,
      };
    }),
  );
  return entries.sort((a, b) => a.tier - b.tier || comparePrecedence(a.key, b.key));
}

interface HonoRouter {
  add(method: string, path: string, handler: unknown): void;
  /** Both routers answer `[[handler, params], …]` first, in the order the routes were added. */
  match(method: string, path: string): readonly [readonly (readonly [unknown, unknown])[], ...unknown[]];
}

function honoRouter(
  name: string,
  create: () => HonoRouter,
  entries: HonoEntry[],
  inputs: MatchInput[],
  note: string,
): Matcher {
  const started = performance.now();
  const router = create();
  for (const e of entries) router.add(e.method, e.honoPath, e.rule);
  router.match("GET", "/warm.up/"); // RegExpRouter builds its matcher on the first lookup
  const compileMs = performance.now() - started;
  const keys = inputs.map((input) => `/${input.host}${input.path}`);
  return {
    name,
    compileMs,
    lookup: (i) => router.match(inputs[i]!.method, keys[i]!)[0][0]?.[0],
    note,
  };
}

function honoPathOf(hostname: string | undefined, type: string, value: string): string {
  const host =
    hostname === undefined
      ? ":host"
      : hostname.startsWith("*.")
        ? `:host{[a-z0-9-]+${hostname.slice(1).replaceAll(".", "\\.")}}`
        : hostname;
  if (type === "Exact") return `/${host}${value}`;
  if (type === "RegularExpression") return `/${host}${value.replace("/[0-9]+", "/:id{[0-9]+}")}`;
  return `/${host}${value}/*`;
}

// ---------------------------------------------------------------------------------------------------
// Measurement

/** A full collection between rows, so that one matcher's garbage is never collected on another's clock. */
v8.setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

function medianMs(runs: number, work: () => unknown): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    collectGarbage();
    const started = performance.now();
    work();
    times.push(performance.now() - started);
  }
  return median(times);
}

function median(values: number[]): number {
  return values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

/**
 * A warm-up pass over the requests (cut short for slow matchers), then WINDOWS windows of lookups
 * cycling through the requests; the median window is reported, so a stray pause does not decide.
 */
function measure(matcher: Matcher): { nsPerLookup: number; matchedShare: number } {
  collectGarbage();
  let matched = 0;
  let warmed = 0;
  const warmDeadline = performance.now() + WARM_UP_MS;
  while (warmed < REQUESTS && (warmed < 16 || performance.now() < warmDeadline)) {
    if (matcher.lookup(warmed) !== undefined) matched++;
    warmed++;
  }
  const windows: number[] = [];
  let next = 0;
  for (let w = 0; w < WINDOWS; w++) {
    let lookups = 0;
    const started = process.hrtime.bigint();
    const deadline = started + BigInt(WINDOW_MS * 1e6);
    let now = started;
    while (now < deadline) {
      const batch = lookups === 0 ? 1 : 64;
      for (let i = 0; i < batch; i++) matcher.lookup((next + i) & (REQUESTS - 1));
      next += batch;
      lookups += batch;
      now = process.hrtime.bigint();
    }
    windows.push(Number(now - started) / lookups);
  }
  return { nsPerLookup: median(windows), matchedShare: matched / warmed };
}

function format(n: number, digits = 0): string {
  return Number.isNaN(n)
    ? "–"
    : n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

type MatcherFactory = (table: RouteTable, inputs: MatchInput[], requests: RawRequest[]) => Matcher | string;

const MATCHERS: { name: string; create: MatcherFactory }[] = [
  { name: "gatehouse", create: (table, inputs) => gatehouse(table, inputs) },
  {
    name: "gatehouse-normalise",
    create: (table, _inputs, requests) => gatehouseWithNormalisation(table, requests),
  },
  { name: "gatehouse-readings", create: (table, inputs) => gatehouseWithReadings(table, inputs) },
  {
    name: "gatehouse-hot",
    create: (table, inputs) => {
      // The same matcher on 64 of the requests over and over: the table's paths they use stay in the
      // CPU cache. Against the main row, this shows how much of a lookup is waiting for memory.
      const compiled = compileRouteTable(table);
      return {
        name: "Gatehouse matcher, 64 requests (hot cache)",
        compileMs: Number.NaN,
        lookup: (i) => matchRoute(compiled, inputs[i & 63]!),
      };
    },
  },
  {
    name: "hono-regexp",
    create: (table, inputs) =>
      table.routes.length > HONO_REGEXP_MAX_ROUTES
        ? `Hono RegExpRouter | not run: its build pairs every path with every wildcard path (quadratic); at 10,000 routes it took over 30 s`
        : honoRouter(
            "Hono RegExpRouter",
            () => new RegExpRouter<unknown>(),
            honoEntries(table).filter((e) => e.exactHost),
            inputs,
            "exact-host routes only (it refuses a `:host` parameter beside literal hosts); headers dropped",
          ),
  },
  {
    name: "hono-trie",
    create: (table, inputs) =>
      honoRouter(
        "Hono TrieRouter",
        () => new TrieRouter<unknown>(),
        honoEntries(table),
        inputs,
        "all routes; headers dropped",
      ),
  },
  { name: "linear", create: (table, inputs) => linearScan(table, inputs) },
];

function main(): void {
  const only = process.env.MATCHERS?.split(",");
  const rows: string[] = [];
  for (const size of SIZES) {
    const random = prng(size);
    const generated = generateRoutes(size, random);
    const parseStarted = performance.now();
    const table = tableOf(generated);
    const parseMs = performance.now() - parseStarted;
    const requests = requestsFor(generated, random);
    const inputs = requests.map(matchInputOf);
    const rules = table.routes.reduce((n, r) => n + r.rules.length, 0);
    const lead = `| ${format(size)} | ${format(rules)} |`;

    for (const { name, create } of MATCHERS) {
      if (only && !only.includes(name)) continue;
      collectGarbage();
      const matcher = create(table, inputs, requests);
      if (typeof matcher === "string") {
        rows.push(`${lead} ${matcher.replace(" | ", " | – | – | – | – | ")} |`);
        continue;
      }
      const { nsPerLookup, matchedShare } = measure(matcher);
      rows.push(
        `${lead} ${matcher.name} | ${format(matcher.compileMs, 1)} | ${format(nsPerLookup)} | ` +
          `${format(1e9 / nsPerLookup)} | ${(100 * matchedShare).toFixed(0)} % | ${matcher.note ?? ""} |`,
      );
    }
    rows.push(`${lead} (schema parse of the table, zod) | ${format(parseMs, 1)} | | | | |`);
  }

  if (SIZES.length === 0) return;
  console.log("## Route matcher\n");
  const load = loadavg()
    .map((v) => v.toFixed(2))
    .join(" / ");
  console.log(
    `Generated tables (seeded); ${REQUESTS} requests; ns/lookup is the median of ${WINDOWS} windows of ` +
      `${WINDOW_MS} ms after a warm-up pass; compile is the median of several runs on the parsed table; ` +
      `matched is the share of requests that found a rule (about 90 % should). Node ${process.version}; ` +
      `load average (1/5/15 min) at the end: ${load}.\n`,
  );
  console.log("| routes | rules | matcher | compile ms | ns/lookup | lookups/s | matched | notes |");
  console.log("|---:|---:|---|---:|---:|---:|---:|---|");
  for (const row of rows) console.log(row);
  console.log("");
}

// ---------------------------------------------------------------------------------------------------
// One hot route, tables of different shapes around it

const HOT_HOST = "bench.gatehouse.test";

/**
 * What the end-to-end bench's hot request (`GET bench.gatehouse.test/open`) costs the router
 * (match and path-reading check, as the pipeline runs them) when its 10 routes sit in tables of
 * different shapes: per-request work must not grow with the table, whatever its shape.
 */
function hotRouteByShape(): void {
  const svc = [{ name: "svc" }];
  const hot = [
    {
      id: "open",
      hostnames: [HOT_HOST],
      rules: [{ matches: [{ path: { type: "PathPrefix", value: "/open" } }], backendRefs: svc }],
    },
    {
      id: "protected",
      hostnames: [HOT_HOST],
      rules: [{ matches: [{ path: { type: "PathPrefix", value: "/protected" } }], backendRefs: svc }],
    },
  ];
  const shapes: [string, unknown[]][] = [
    ["10 routes", routeTableRoutes(generateRoutes(8, prng(10)), "svc")],
    ["10,000 routes, generated shape", routeTableRoutes(generateRoutes(9_990, prng(10_000)), "svc")],
    [
      "10,000 routes crowding the hot host (`crowdedHostRoutes`)",
      routeTableRoutes(crowdedHostRoutes(9_990, HOT_HOST, prng(10_001)), "svc"),
    ],
  ];
  const input: MatchInput = {
    method: "GET",
    host: HOT_HOST,
    path: "/open",
    query: new URLSearchParams(),
    headers: new Headers(),
  };
  const rows: string[] = [];
  let baseline = Number.NaN;
  for (const [name, routes] of shapes) {
    const compiled = compileRouteTable(RouteTableSchema.parse({ version: 1, routes: [...hot, ...routes] }));
    const { nsPerLookup } = measure({
      name,
      compileMs: Number.NaN,
      lookup: () => {
        const match = matchRoute(compiled, input);
        return match && (findAmbiguity(compiled, input, match) ?? match);
      },
    });
    if (Number.isNaN(baseline)) baseline = nsPerLookup;
    rows.push(`| ${name} | ${format(nsPerLookup)} | ${(baseline / nsPerLookup).toFixed(2)} |`);
  }
  console.log("### The hot route by table shape\n");
  console.log(
    "`GET bench.gatehouse.test/open`, matched and checked for path readings, beside the same 10 routes in " +
      "larger tables. Throughput ratio to the 10-route table; target ≥ 0.95 for every shape.\n",
  );
  console.log("| table | ns/lookup | ratio to 10 routes |");
  console.log("|---|---:|---:|");
  for (const row of rows) console.log(row);
  console.log("");
}

// ---------------------------------------------------------------------------------------------------
// Regex match cost: backtracking (before) and RE2 (now)

/** A backtracking run slower than this is not repeated on a longer subject. */
const BACKTRACK_LIMIT_MS = 200;
const ISSUE_PATTERN = "/r/[a-z]{0,99}[a-z]{0,99}[a-z]{0,99}[a-z]{0,99}[a-z]{0,99}[a-z]{0,99}!";
const USER_AGENT =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

interface RegexCase {
  name: string;
  pattern: string;
  /** The subject at length n (n is ignored by fixed subjects). */
  subject: (n: number) => string;
  /** Subject lengths to report (`LIMIT`: the longest judged); adversarial cases grow n for backtracking. */
  lengths: readonly number[];
  adversarial: boolean;
  /**
   * Measure RE2 on a new random subject per call (median / slowest of 31): what an attacker sending
   * a different value per request costs, with the DFA's cache cold for it.
   */
  fresh?: boolean;
}

/** In `lengths`: the longest value the pattern judges in RE2 (`subjectLimit`); 4,096 for backtracking. */
const LIMIT = -1;
const BACKTRACKING_LIMIT = 4096;
const letters = (n: number) => "a".repeat(n);
let abSeed = 1;
function randomAb(n: number): string {
  const random = prng(n * 1000 + abSeed++);
  let text = "";
  for (let i = 0; i < n; i++) text += random() < 0.5 ? "a" : "b";
  return text;
}
const REGEX_CASES: RegexCase[] = [
  {
    name: "path id",
    pattern: "/users/[0-9]+",
    subject: () => "/users/12345",
    lengths: [12],
    adversarial: false,
  },
  {
    name: "versioned API path",
    pattern: "/api/v[0-9]+/orders/[0-9]+(/items/[0-9]+)?",
    subject: () => "/api/v2/orders/991/items/7",
    lengths: [26],
    adversarial: false,
  },
  {
    name: "user-agent header",
    pattern: "[^/]*Chrome/[0-9]+[^/]*",
    subject: () => USER_AGENT,
    lengths: [USER_AGENT.length],
    adversarial: false,
  },
  {
    name: "UUID header",
    pattern: "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    subject: () => "9b2f6c1e-3d4a-4f5b-8c6d-7e8f9a0b1c2d",
    lengths: [36],
    adversarial: false,
  },
  {
    name: "files/.* on a long path",
    pattern: "/files/.*",
    subject: (n) => `/files/${letters(n - 7)}`,
    lengths: [110, LIMIT],
    adversarial: false,
  },
  {
    // 2^12 DFA states for random a/b text: each new subject makes RE2's lazy DFA build new states.
    name: "DFA-hostile, random a/b",
    pattern: "[ab]*a[ab]{12}",
    subject: randomAb,
    lengths: [110, LIMIT],
    adversarial: false,
    fresh: true,
  },
  {
    name: "DFA-hostile near the cap",
    pattern: "(?:a|b|ab|ba|aa|bb)*a(?:[ab]{0,10}){4}",
    subject: randomAb,
    lengths: [110, LIMIT],
    adversarial: false,
    fresh: true,
  },
  {
    name: "DFA-hostile, 40 + 40",
    pattern: "[ab]*a[ab]{40}b[ab]{40}",
    subject: randomAb,
    lengths: [110, LIMIT],
    adversarial: false,
    fresh: true,
  },
  {
    name: "issue 11 (refused by the cap in RE2)",
    pattern: ISSUE_PATTERN,
    subject: (n) => `/r/${letters(n - 3)}`,
    lengths: [110],
    adversarial: true,
  },
  {
    name: "runs of bounded repeats, within the cap",
    pattern: "/r/[a-z]{0,7}[a-z]{0,7}[a-z]{0,7}[a-z]{0,7}[a-z]{0,7}[a-z]{0,7}!",
    subject: (n) => `/r/${letters(n - 3)}`,
    lengths: [110, LIMIT],
    adversarial: true,
  },
  {
    name: "six stars",
    pattern: "/r/[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*!",
    subject: (n) => `/r/${letters(n - 3)}`,
    lengths: [110, LIMIT],
    adversarial: true,
  },
  {
    name: "nested quantifier",
    pattern: "(?:[a-z]+)+!",
    subject: letters,
    lengths: [110, LIMIT],
    adversarial: true,
  },
];

/** Fastest of 5 windows of about 20 ms each, per call. */
function microsPerMatch(test: (s: string) => boolean, subject: string): number {
  let best = Number.POSITIVE_INFINITY;
  for (let window = 0; window < 5; window++) {
    let calls = 0;
    const started = performance.now();
    let elapsed = 0;
    do {
      test(subject);
      calls++;
      elapsed = performance.now() - started;
    } while (elapsed < 20);
    best = Math.min(best, (1000 * elapsed) / calls);
  }
  return best;
}

/** Median and slowest of 31 calls, each on a subject never matched before. */
function freshMicros(test: (s: string) => boolean, subject: () => string): string {
  for (let i = 0; i < 5; i++) test(subject());
  const times: number[] = [];
  for (let i = 0; i < 31; i++) {
    const value = subject();
    const started = performance.now();
    test(value);
    times.push(1000 * (performance.now() - started));
  }
  times.sort((a, b) => a - b);
  return `${format(times[15]!, 0)} / ${format(times[30]!, 0)}`;
}

/** Backtracking on growing subjects: the longest that one run finished within the limit, and its time. */
function backtrackingCost(regex: RegExp, c: RegexCase): string {
  if (!c.adversarial)
    return `${format(
      microsPerMatch((s) => regex.test(s), c.subject(c.lengths[0]!)),
      2,
    )} µs`;
  let finished = "";
  for (let n = 8; n <= BACKTRACKING_LIMIT; n += n < 32 ? 1 : Math.ceil(n / 4)) {
    const started = performance.now();
    regex.test(c.subject(n));
    const ms = performance.now() - started;
    finished = `${format(ms, ms < 10 ? 2 : 0)} ms at ${n} chars`;
    if (ms > BACKTRACK_LIMIT_MS) return `${finished} (grows without bound)`;
  }
  return finished;
}

function regexMatchCost(): void {
  const rows: string[] = [];
  for (const c of REGEX_CASES) {
    const before = backtrackingCost(new RegExp(`^(?:${c.pattern})$`), c);
    let now: string;
    try {
      const regex = compileTableRegex(c.pattern);
      now = c.lengths
        .map((length) => (length === LIMIT ? regex.subjectLimit : length))
        .map((n) =>
          c.fresh
            ? `${freshMicros(regex.test, () => c.subject(n))} µs at ${n}`
            : `${format(microsPerMatch(regex.test, c.subject(n)), 2)} µs at ${n}`,
        )
        .join(", ");
    } catch (error) {
      now = `refused: ${(error as Error).message.replace(/ \(.*$/, "")}`;
    }
    rows.push(`| ${c.name} | \`${c.pattern.replaceAll("|", "\\|")}\` | ${before} | ${now} |`);
  }
  console.log("## Regex match cost\n");
  console.log(
    `One whole-value match. Before: V8's backtracking RegExp; adversarial patterns are run on growing ` +
      `subjects until one run takes over ${BACKTRACK_LIMIT_MS} ms. Now: RE2 (re2js), fastest of 5 windows, ` +
      `per call, at the subject lengths shown (characters); for DFA-hostile cases, median / slowest of 31 ` +
      `calls each on a new random subject. The last RE2 length is the longest value the pattern judges ` +
      `(program size × length ≤ 16,384). Node ${process.version}.\n`,
  );
  console.log("| case | pattern | backtracking (before) | RE2 (now) |");
  console.log("|---|---|---|---|");
  for (const row of rows) console.log(row);
  console.log("");
}

main();
if (process.env.MATCHER_SHAPES !== "0") hotRouteByShape();
regexMatchCost();
