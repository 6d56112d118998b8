/**
 * A route change never closes an established connection: a WebSocket opened through the gateway keeps
 * echoing while five new versions are published and loaded, because the request that opened it holds
 * the table it started with.
 */
import { afterAll, beforeEach, expect, it } from "vitest";
import type { RouteTableInput } from "../../src/config/schema.ts";
import { type PodName, podUrl } from "../support/origins.ts";
import { publish, resetRoutes, viaWorker, waitForStatus } from "./kv-test-helpers.ts";

function wsTable(pod: PodName, generation: number): RouteTableInput {
  return {
    version: 1,
    clusters: { pods: { endpoints: [{ url: podUrl(pod) }] } },
    routes: [
      { id: "ws", hostnames: ["ws.test"], rules: [{ backendRefs: [{ name: "pods" }] }] },
      // Each generation differs, so each publish is a new version.
      {
        id: `generation-${generation}`,
        hostnames: [`g${generation}.test`],
        rules: [{ backendRefs: [{ name: "pods" }] }],
      },
    ],
  };
}

async function openSocket(): Promise<WebSocket> {
  const res = await viaWorker("https://ws.test/ws", { headers: { upgrade: "websocket" } });
  expect(res.status).toBe(101);
  const socket = res.webSocket;
  if (!socket) throw new Error("no WebSocket in the 101 response");
  socket.accept();
  return socket;
}

/** The next message, or a failure after a bounded wait (a closed socket fails at once). */
function nextMessage(socket: WebSocket, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no message in time")), timeoutMs);
    socket.addEventListener(
      "message",
      (event) => {
        clearTimeout(timer);
        resolve(
          typeof event.data === "string" ? event.data : new TextDecoder().decode(event.data as ArrayBuffer),
        );
      },
      { once: true },
    );
    socket.addEventListener("close", () => reject(new Error("the socket closed")), { once: true });
  });
}

beforeEach(resetRoutes);
afterAll(resetRoutes);

it("keeps an open WebSocket echoing while five new versions are published", async () => {
  await publish(wsTable("pod-a", 0));
  const socket = await openSocket();
  socket.send("whoami");
  expect(await nextMessage(socket)).toBe("pod-a");

  for (let generation = 1; generation <= 5; generation++) {
    // The new versions send ws.test to another pod; the open socket must not notice.
    const { version } = await publish(wsTable("pod-b", generation));
    await waitForStatus((s) => s.table?.id === version.id);
    socket.send(`still there after version ${generation}?`);
    expect(await nextMessage(socket)).toBe(`still there after version ${generation}?`);
  }
  socket.send("whoami");
  expect(await nextMessage(socket)).toBe("pod-a");

  // A new connection goes by the table now in force.
  const fresh = await openSocket();
  fresh.send("whoami");
  expect(await nextMessage(fresh)).toBe("pod-b");
  fresh.close(1000, "done");
  socket.close(1000, "done");
});
