/**
 * Session persistence against the real pods: a returning client stays on its pod across requests and
 * WebSocket reconnects, moves (with a new value) when its pod goes away, and a forged value is ignored.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { GatewayConfig } from "../../src/gateway/compile.ts";
import { gatewayFetch, gatewayFor } from "../support/gateway.ts";
import { resetAllPods, startPod, stopPod } from "../support/origins.ts";
import { accessLogDuring, clusterName, echoOf, podsCluster, tableFor } from "./support.ts";

beforeEach(resetAllPods);

function affinityGateway(persistence: Record<string, unknown>): GatewayConfig {
  const name = clusterName("sticky");
  return gatewayFor(
    tableFor("sticky.test", { [name]: podsCluster(["pod-a", "pod-b", "pod-c"]) }, [
      { backendRefs: [{ name }], sessionPersistence: persistence },
    ]),
  );
}

/** `name=value` from a Set-Cookie header, as a browser would send it back. */
function cookieFrom(res: Response): string {
  const setCookie = res.headers.get("set-cookie");
  if (!setCookie) throw new Error("no Set-Cookie");
  return setCookie.split(";")[0]!;
}

async function whoami(socket: WebSocket): Promise<string> {
  const reply = new Promise<string>((resolve) =>
    socket.addEventListener("message", (e) => resolve(String(e.data)), { once: true }),
  );
  socket.send("whoami");
  return reply;
}

describe("Cookie sessions", () => {
  it("the first answer sets a signed, HttpOnly cookie; 50 requests with it all reach the same pod", async () => {
    const gw = affinityGateway({ type: "Cookie", sessionName: "gh-session" });
    const first = await gatewayFetch(gw, "https://sticky.test/");
    const setCookie = first.headers.get("set-cookie")!;
    expect(setCookie).toMatch(
      /^gh-session=[0-9a-f]{16}\.[0-9a-z]+\.[0-9a-z]+\.[A-Za-z0-9_-]{22}; Path=\/; HttpOnly; SameSite=Lax; Secure$/,
    );
    const pod = first.headers.get("x-pod")!;
    await first.body?.cancel();

    const cookie = cookieFrom(first);
    for (let i = 0; i < 50; i++) {
      const res = await gatewayFetch(gw, "https://sticky.test/", { headers: { cookie } });
      expect(res.headers.get("x-pod")).toBe(pod);
      expect(res.headers.get("set-cookie")).toBeNull();
      await res.body?.cancel();
    }
  });

  it("without the cookie, round robin spreads the same client over the pods", async () => {
    const gw = affinityGateway({ type: "Cookie" });
    const pods = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const res = await gatewayFetch(gw, "https://sticky.test/");
      pods.add(res.headers.get("x-pod")!);
      await res.body?.cancel();
    }
    expect(pods.size).toBe(3);
  });

  it("the session cookie is the gateway's: the origin sees the client's other cookies only", async () => {
    const gw = affinityGateway({ type: "Cookie", sessionName: "gh-session" });
    const first = await gatewayFetch(gw, "https://sticky.test/");
    await first.body?.cancel();
    const res = await gatewayFetch(gw, "https://sticky.test/", {
      headers: { cookie: `theme=dark; ${cookieFrom(first)}; lang=en` },
    });
    expect((await echoOf(res)).headers.cookie).toBe("theme=dark; lang=en");
  });

  it("a WebSocket reconnect with the cookie reaches the same pod", async () => {
    const gw = affinityGateway({ type: "Cookie", sessionName: "gh-ws" });
    const opened = await gatewayFetch(gw, "https://sticky.test/ws", { headers: { upgrade: "websocket" } });
    expect(opened.status).toBe(101);
    const cookie = cookieFrom(opened);
    const socket = opened.webSocket!;
    socket.accept();
    const pod = await whoami(socket);
    socket.close(1000, "reconnecting");

    for (let i = 0; i < 3; i++) {
      const again = await gatewayFetch(gw, "https://sticky.test/ws", {
        headers: { upgrade: "websocket", cookie },
      });
      const s = again.webSocket!;
      s.accept();
      expect(await whoami(s)).toBe(pod);
      s.close(1000, "done");
    }
    // And plain HTTP with the same cookie lands there too.
    const http = await gatewayFetch(gw, "https://sticky.test/", { headers: { cookie } });
    expect(http.headers.get("x-pod")).toBe(pod);
    await http.body?.cancel();
  });

  it("moves the client, with a new value, when its pod goes away", async () => {
    const gw = affinityGateway({ type: "Cookie", sessionName: "gh-session" });
    const first = await gatewayFetch(gw, "https://sticky.test/");
    const pod = first.headers.get("x-pod") as "pod-a" | "pod-b" | "pod-c";
    await first.body?.cancel();
    const cookie = cookieFrom(first);

    await stopPod(pod);
    try {
      const { result: moved, lines } = await accessLogDuring(() =>
        gatewayFetch(gw, "https://sticky.test/", { headers: { cookie } }),
      );
      expect(moved.status).toBe(200);
      const newPod = moved.headers.get("x-pod")!;
      expect(newPod).not.toBe(pod);
      expect(lines[0]?.session).toBe("moved");
      const newCookie = cookieFrom(moved);
      expect(newCookie).not.toBe(cookie);
      await moved.body?.cancel();

      await startPod(pod);
      // Back on the network, the old pod does not take the client back: the new value names the new pod.
      for (let i = 0; i < 5; i++) {
        const res = await gatewayFetch(gw, "https://sticky.test/", { headers: { cookie: newCookie } });
        expect(res.headers.get("x-pod")).toBe(newPod);
        await res.body?.cancel();
      }
    } finally {
      await startPod(pod);
    }
  });

  it("a tampered value is ignored as if absent: balanced normally and replaced", async () => {
    const gw = affinityGateway({ type: "Cookie", sessionName: "gh-session" });
    const first = await gatewayFetch(gw, "https://sticky.test/");
    await first.body?.cancel();
    const [name, value] = cookieFrom(first).split("=") as [string, string];
    const parts = value.split(".");
    // Another endpoint id, same signature: what a client would try to pick its own pod.
    const forged = `${name}=${"0".repeat(16)}.${parts.slice(1).join(".")}`;
    const { result: res, lines } = await accessLogDuring(() =>
      gatewayFetch(gw, "https://sticky.test/", { headers: { cookie: forged } }),
    );
    expect(res.status).toBe(200);
    expect(lines[0]?.session).toBe("new");
    expect(cookieFrom(res)).not.toBe(forged);
    await res.body?.cancel();
  });

  it("an expired value (absoluteTimeout) is ignored", async () => {
    const gw = affinityGateway({ type: "Cookie", sessionName: "gh-short", absoluteTimeout: "1ms" });
    const first = await gatewayFetch(gw, "https://sticky.test/");
    await first.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const { result: res, lines } = await accessLogDuring(() =>
      gatewayFetch(gw, "https://sticky.test/", { headers: { cookie: cookieFrom(first) } }),
    );
    expect(lines[0]?.session).toBe("new");
    await res.body?.cancel();
  });

  it("a Permanent cookie carries Max-Age from absoluteTimeout", async () => {
    const gw = affinityGateway({
      type: "Cookie",
      sessionName: "gh-p",
      absoluteTimeout: "2h",
      cookieConfig: { lifetimeType: "Permanent" },
    });
    const res = await gatewayFetch(gw, "http://sticky.test/");
    expect(res.headers.get("set-cookie")).toMatch(/; Max-Age=7200$/);
    expect(res.headers.get("set-cookie")).not.toMatch(/Secure/);
    await res.body?.cancel();
  });
});

describe("Header sessions", () => {
  it("the value comes back in the header; presenting it keeps the pod; the origin never sees it", async () => {
    const gw = affinityGateway({ type: "Header", sessionName: "x-session" });
    const first = await gatewayFetch(gw, "https://sticky.test/");
    const value = first.headers.get("x-session")!;
    expect(value).toMatch(/^[0-9a-f]{16}\./);
    const pod = first.headers.get("x-pod");
    await first.body?.cancel();
    for (let i = 0; i < 10; i++) {
      const res = await gatewayFetch(gw, "https://sticky.test/", { headers: { "x-session": value } });
      expect(res.headers.get("x-pod")).toBe(pod);
      expect((await echoOf(res)).headers["x-session"]).toBeUndefined();
    }
  });
});

describe("without SESSION_SECRET", () => {
  it("affinity is off, requests are served, and the isolate logs a warning instead of failing", async () => {
    const gw = affinityGateway({ type: "Cookie" });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const res = await gatewayFetch(gw, "https://sticky.test/", {}, { env: { SESSION_SECRET: undefined } });
      expect(res.status).toBe(200);
      expect(res.headers.get("set-cookie")).toBeNull();
      await res.body?.cancel();
      expect(warn.mock.calls.map((c) => String(c[0])).join("\n")).toMatch(/SESSION_SECRET is not set/);
    } finally {
      warn.mockRestore();
    }
  });
});
