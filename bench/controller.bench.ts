/**
 * `npm run bench -- controller`: how long from an object change to the published pointer.
 *
 * The clock starts when the test harness sends a PATCH of one HTTPRoute to the API server (the test
 * API server of test/support, on 127.0.0.1, TLS) and stops when the controller writes `tables/active`
 * naming a version that holds the change. In between: the watch event, the debounce, the informer
 * cache, translating the WHOLE cluster again, validating the whole table, writing the version record,
 * then the pointer. Measured with 10 and 1,000 HTTPRoutes in the cluster (every reconcile re-translates
 * all of them), with the default debounce (250 ms: a burst of edits becomes one publish) and with a
 * 1 ms debounce (the controller's own cost), into an in-memory KV (no storage cost) and into the local
 * state `gatehouse push --local` uses (Miniflare's SQLite, as `wrangler dev` reads it). Each row also
 * gives how long the controller took from start to the first table and every route's status written
 * (one status write per route: the one-time cost of a large cluster).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { openLocalKv } from "../src/cli/kv-local.ts";
import { ACTIVE_KEY } from "../src/store/kv-layout.ts";
import type { KvStore } from "../src/store/kv-store.ts";
import {
  Cluster,
  endpointSlice,
  gateway,
  gatewayClass,
  httpRoute,
  service,
  startApiServer,
  startController,
  until,
  untilTable,
} from "../test/kubernetes/controller/harness.ts";
import { MemoryKv } from "../test/store/memory-kv.ts";

const CHANGES = Number(process.env.CONTROLLER_CHANGES ?? 15);

/** A KvStore that reports each write of the pointer, and the time it completed. */
function watchingPointer(inner: KvStore): KvStore & { nextPointerWrite(): Promise<number> } {
  let waiter: ((at: number) => void) | undefined;
  return {
    get: (key) => inner.get(key),
    list: (options) => inner.list(options),
    delete: (key) => inner.delete(key),
    async put(key, value, options) {
      await inner.put(key, value, options);
      if (key === ACTIVE_KEY && waiter) {
        const resolve = waiter;
        waiter = undefined;
        resolve(performance.now());
      }
    },
    nextPointerWrite: () =>
      new Promise((resolve) => {
        waiter = resolve;
      }),
  };
}

interface Case {
  routes: number;
  debounceMs: number;
  kv: "memory" | "local";
}

async function measure(c: Case): Promise<{ times: number[]; firstStatusMs: number }> {
  const server = await startApiServer();
  const cluster = new Cluster(server);
  for (const object of [gatewayClass, gateway, service("storefront"), endpointSlice("storefront", 9001)]) {
    await cluster.create(object);
  }
  for (let i = 0; i < c.routes; i++)
    await cluster.create(httpRoute(`r${i}`, `r${i}.example.com`, "storefront"));

  const dir = mkdtempSync(join(tmpdir(), "gatehouse-controller-bench-"));
  const local =
    c.kv === "local" ? await openLocalKv({ remote: false, persistTo: join(dir, "state") }) : undefined;
  const kv = watchingPointer(local?.store ?? new MemoryKv());
  const controller = await startController(server, kv, {
    debounceMs: c.debounceMs,
    lease: { namespace: "gatehouse-system", name: "gatehouse-controller", durationSeconds: 15 },
  });
  try {
    const started = performance.now();
    await untilTable(kv, "the first table", (t) => t.table.routes.length === c.routes, 600_000);
    // Start from a quiet controller: the first reconcile writes every route's status.
    await until(
      "every route's status",
      () => server.list("HTTPRoute").every((r) => r.status !== undefined),
      600_000,
    );
    const firstStatusMs = performance.now() - started;
    await new Promise((r) => setTimeout(r, 500));
    const times: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const written = kv.nextPointerWrite();
      const start = performance.now();
      await cluster.patch(httpRoute("r0", "", ""), { spec: { hostnames: [`change-${i}.example.com`] } });
      times.push((await written) - start);
      // Let status writes and their watch echoes settle, so each change starts from a quiet controller.
      await new Promise((r) => setTimeout(r, 100));
    }
    return { times, firstStatusMs };
  } finally {
    await controller.stop();
    await local?.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const cases: Case[] = [
  { routes: 10, debounceMs: 250, kv: "memory" },
  { routes: 10, debounceMs: 1, kv: "memory" },
  { routes: 1000, debounceMs: 1, kv: "memory" },
  { routes: 10, debounceMs: 1, kv: "local" },
  { routes: 1000, debounceMs: 1, kv: "local" },
];

console.log("## Controller: object change to published pointer\n");
console.log(
  `${CHANGES} changes per row (one HTTPRoute's hostnames, by PATCH), median / p90 / max; load average ${loadavg()
    .map((v) => v.toFixed(2))
    .join(" / ")}\n`,
);
console.log("| HTTPRoutes | debounce | KV | median | p90 | max | start: table and every status |");
console.log("|---:|---:|---|---:|---:|---:|---:|");
for (const c of cases) {
  const { times, firstStatusMs } = await measure(c);
  const sorted = times.sort((a, b) => a - b);
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  console.log(
    `| ${c.routes.toLocaleString("en")} | ${c.debounceMs} ms | ${c.kv === "memory" ? "in memory" : "local state (Miniflare)"} | ${ms(percentile(sorted, 50))} | ${ms(percentile(sorted, 90))} | ${ms(sorted.at(-1)!)} | ${(firstStatusMs / 1000).toFixed(1)} s |`,
  );
}
console.log();
