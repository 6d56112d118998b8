/**
 * `npm run bench -- policy`: the traffic-policy stages' own cost per request, in Node's V8 (as workerd
 * runs them), with nothing behind them:
 *
 * - a `CidrSet` lookup against lists of 10, 1,000, 10,000 and 100,000 random prefixes, IPv4 and IPv6,
 *   for addresses that are in the list and that are not (the cost must not grow with the list);
 * - the rate-limit stage (`enforceRateLimits`: the key, the call, the verdict) for one and for two
 *   limits, against a binding that answers at once: the gateway's part of a limit, without the
 *   binding's own (which only a deployment can measure; the e2e bench measures Miniflare's simulator).
 *
 *   POLICY_DURATION_MS=1500 npm run bench -- policy
 */
import { loadavg } from "node:os";
import { RouteTableSchema } from "../src/config/schema.ts";
import type { Env } from "../src/gateway/env.ts";
import { CidrSet } from "../src/policy/cidr-set.ts";
import { formatPrefix, type ParsedPrefix } from "../src/policy/ip-address.ts";
import { enforceRateLimits } from "../src/policy/rate-limit.ts";
import { compileRulePolicies } from "../src/policy/rule-policy.ts";
import { prng } from "./support/route-tables.ts";

const DURATION_MS = Number(process.env.POLICY_DURATION_MS ?? 1500);

/** Calls per second of `fn` over about DURATION_MS, after a short warm-up. */
async function rate(fn: (i: number) => unknown | Promise<unknown>, batch = 1000): Promise<number> {
  let sink = 0;
  const run = async (ms: number) => {
    const started = performance.now();
    let calls = 0;
    while (performance.now() - started < ms) {
      for (let i = 0; i < batch; i++) {
        const result = fn(calls + i);
        if (result instanceof Promise) await result;
        else if (result) sink++;
      }
      calls += batch;
    }
    return (calls / (performance.now() - started)) * 1000;
  };
  await run(DURATION_MS / 5);
  const measured = await run(DURATION_MS);
  if (sink < 0) console.log(sink);
  return measured;
}

function randomPrefixes(count: number, family: 4 | 6, random: () => number): ParsedPrefix[] {
  const prefixes: ParsedPrefix[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = new Uint8Array(family === 4 ? 4 : 16);
    const length = family === 4 ? 8 + Math.floor(random() * 25) : 16 + Math.floor(random() * 49);
    for (let bit = 0; bit < length; bit++) if (random() < 0.5) bytes[bit >> 3]! |= 1 << (7 - (bit & 7));
    prefixes.push({ family, bytes, length });
  }
  return prefixes;
}

function addressIn(prefix: ParsedPrefix): string {
  return formatPrefix({ ...prefix, length: prefix.family === 4 ? 32 : 128 }).split("/")[0]!;
}

async function cidrLookups(): Promise<void> {
  console.log("## Traffic policy: address lists\n");
  console.log("Lookups per second of one client address (parse + trie walk), by list size.\n");
  console.log("| prefixes | IPv4, in the list | IPv4, not in it | IPv6, in the list | IPv6, not in it |");
  console.log("|---:|---:|---:|---:|---:|");
  for (const size of [10, 1_000, 10_000, 100_000]) {
    const random = prng(size);
    const cells: string[] = [];
    for (const family of [4, 6] as const) {
      const prefixes = randomPrefixes(size, family, random);
      const set = new CidrSet(prefixes);
      const hits = prefixes.slice(0, 256).map(addressIn);
      const misses = family === 4 ? ["203.0.113.77", "198.51.100.1"] : ["2001:db8:ffff::1", "fd00::77"];
      const missing = misses.filter((address) => !set.has(address));
      cells.push(Math.round(await rate((i) => set.has(hits[i % hits.length]!))).toLocaleString("en-US"));
      cells.push(
        missing.length > 0
          ? Math.round(await rate((i) => set.has(missing[i % missing.length]!))).toLocaleString("en-US")
          : "(all covered)",
      );
    }
    console.log(`| ${size.toLocaleString("en-US")} | ${cells.join(" | ")} |`);
  }
  console.log("");
}

async function rateLimitStage(): Promise<void> {
  const table = RouteTableSchema.parse({
    version: 1,
    routes: [
      {
        id: "api",
        rules: [
          { rateLimit: [{ requests: 1000, period: "60s", key: "clientAddress" }] },
          {
            rateLimit: [
              { requests: 1000, period: "60s", key: "clientAddress" },
              { requests: 100, period: "10s", key: ["clientAddress", { header: "x-api-key" }] },
            ],
          },
        ],
      },
    ],
  });
  const [plans] = compileRulePolicies(table);
  const instant = { limit: async () => ({ success: true }) };
  const env = { RATE_LIMIT_10S: instant, RATE_LIMIT_60S: instant } as unknown as Env;
  const request = new Request("https://api.test/", {
    headers: { "cf-connecting-ip": "192.0.2.1", "x-api-key": "key-0123456789" },
  });
  console.log("## Traffic policy: the rate-limit stage\n");
  console.log(
    "`enforceRateLimits` per second against a binding that answers at once (the gateway's part only).\n",
  );
  console.log("| limits | calls/s | µs per request |");
  console.log("|---:|---:|---:|");
  for (const [i, label] of [
    [0, "1"],
    [1, "2"],
  ] as const) {
    const plan = plans![i]!.rateLimits!;
    const input = { request, claims: undefined, env, requestId: "bench" };
    const perSecond = await rate(() => enforceRateLimits(plan, plan.beforeAuth, input), 100);
    console.log(
      `| ${label} | ${Math.round(perSecond).toLocaleString("en-US")} | ${(1e6 / perSecond).toFixed(2)} |`,
    );
  }
  console.log("");
}

console.log(
  `Load average before: ${loadavg()
    .map((v) => v.toFixed(2))
    .join(" / ")}\n`,
);
await cidrLookups();
await rateLimitStage();
console.log(
  `Load average after: ${loadavg()
    .map((v) => v.toFixed(2))
    .join(" / ")}\n`,
);
