/**
 * A CPU profile of a Worker's isolate inside workerd, over the inspector protocol (the same one
 * Chrome DevTools speaks): `node --cpu-prof` cannot see inside workerd. The result is a
 * `.cpuprofile` file that DevTools, speedscope or `bench/support/profile-summary.ts` can read.
 */
import { writeFileSync } from "node:fs";
import WebSocket from "ws";

interface InspectorTarget {
  title: string;
  webSocketDebuggerUrl: string;
}

export interface Profiling {
  /** Stops profiling and writes the profile to `file`. */
  stop(file: string): Promise<void>;
}

/**
 * Starts the profiler on the isolate whose inspector target title contains `worker`. `cpu` samples
 * where time goes (`.cpuprofile`); `alloc` samples where the V8 heap is allocated (`.heapprofile`),
 * which is what drives the scavenges (a large part of a request's cost in workerd).
 */
export async function startProfiling(
  inspectorPort: number,
  worker: string,
  kind: "cpu" | "alloc" = "cpu",
): Promise<Profiling> {
  const { call, close } = await connectInspector(inspectorPort, worker);
  if (kind === "alloc") {
    await call("HeapProfiler.enable");
    // Every 1 KiB allocated on average, and kept whether or not a later GC frees it.
    await call("HeapProfiler.startSampling", {
      samplingInterval: 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  } else {
    await call("Profiler.enable");
    await call("Profiler.setSamplingInterval", { interval: 100 });
    await call("Profiler.start");
  }
  return {
    async stop(file) {
      const stopMethod = kind === "alloc" ? "HeapProfiler.stopSampling" : "Profiler.stop";
      const { profile } = (await call(stopMethod)) as { profile: unknown };
      writeFileSync(file, JSON.stringify(profile));
      close();
    },
  };
}

export interface InspectorSession {
  /** One inspector protocol method, answered with its result. */
  call(method: string, params?: Record<string, unknown>): Promise<unknown>;
  close(): void;
}

/** A session with the isolate whose inspector target title contains `worker` (else the first). */
export async function connectInspector(inspectorPort: number, worker: string): Promise<InspectorSession> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as InspectorTarget[];
  const target = targets.find((t) => t.title.includes(worker)) ?? targets[0];
  if (!target) throw new Error(`no inspector target on port ${inspectorPort}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (result: unknown) => void; reject: (err: Error) => void }>();
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: unknown };
    if (message.id === undefined) return;
    pending.get(message.id)?.resolve(message.result);
    pending.delete(message.id);
  });
  // A workerd that goes away must fail the calls waiting on it, not leave them pending for ever.
  socket.on("close", () => {
    for (const { reject } of pending.values()) reject(new Error("the inspector connection closed"));
    pending.clear();
  });
  return {
    call: (method, params = {}) =>
      new Promise<unknown>((resolve, reject) => {
        if (socket.readyState !== WebSocket.OPEN) {
          reject(new Error("the inspector connection is closed"));
          return;
        }
        const id = nextId++;
        pending.set(id, { resolve, reject });
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => socket.close(),
  };
}
