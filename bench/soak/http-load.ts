/**
 * HTTP load with keep-alive: `concurrency` clients, each sending its next GET as soon as the last one is
 * answered, until stopped. Every request is accounted for by status (0: no answer at all — refused,
 * reset, or no answer within the client's timeout, which is how a hang would show), with its latency
 * and the pod that answered (`x-pod`).
 */
import { Agent, request as httpRequest } from "node:http";
import { Histogram, SOAK_HOST } from "./harness.ts";

const CLIENT_TIMEOUT_MS = 30_000;

export interface LoadFigures {
  sent: number;
  byStatus: Record<string, number>;
  byPod: Record<string, number>;
  latency: Histogram;
  /** Latency of the answers from each pod. */
  latencyByPod: Map<string, Histogram>;
  /** The slowest answer, ms: a hang would be here. */
  maxMs: number;
}

export interface LoadRun {
  readonly figures: LoadFigures;
  /** Stops sending and waits for the answers in flight. */
  stop(): Promise<LoadFigures>;
}

export function startLoad(
  port: number,
  path: () => string,
  concurrency: number,
  headers: () => Record<string, string> = () => ({}),
): LoadRun {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const figures: LoadFigures = {
    sent: 0,
    byStatus: {},
    byPod: {},
    latency: new Histogram(),
    latencyByPod: new Map(),
    maxMs: 0,
  };
  let running = true;
  const one = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      figures.sent++;
      const done = (status: number, pod: string | undefined) => {
        const ms = performance.now() - started;
        figures.byStatus[status] = (figures.byStatus[status] ?? 0) + 1;
        figures.latency.record(ms);
        figures.maxMs = Math.max(figures.maxMs, ms);
        if (pod) {
          figures.byPod[pod] = (figures.byPod[pod] ?? 0) + 1;
          const byPod = figures.latencyByPod.get(pod) ?? new Histogram();
          figures.latencyByPod.set(pod, byPod);
          byPod.record(ms);
        }
        resolve();
      };
      const req = httpRequest(
        { host: "127.0.0.1", port, path: path(), headers: { host: SOAK_HOST, ...headers() }, agent },
        (res) => {
          res.resume();
          res.on("end", () => done(res.statusCode ?? 0, res.headers["x-pod"] as string | undefined));
          res.on("error", () => done(0, undefined));
        },
      );
      req.setTimeout(CLIENT_TIMEOUT_MS, () => req.destroy());
      req.on("error", () => done(0, undefined));
      req.end();
    });
  const client = async () => {
    while (running) await one();
  };
  const clients = Array.from({ length: concurrency }, client);
  return {
    figures,
    async stop() {
      running = false;
      await Promise.all(clients);
      agent.destroy();
      return figures;
    },
  };
}
