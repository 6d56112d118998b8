/**
 * Retries against the real pods: `attempts`, `codes` and `backoff`, and the replay rule (src/upstream/
 * retry.ts): only a request without a body and with an idempotent method is ever sent twice.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { GatewayConfig } from "../../src/gateway/compile.ts";
import { gatewayFetch, gatewayFor } from "../support/gateway.ts";
import { delayNext, failNext, podRequests, resetAllPods, stopPod } from "../support/origins.ts";
import { accessLogDuring, clusterName, podsCluster, tableFor } from "./support.ts";

beforeEach(resetAllPods);

type Retry = { attempts?: number; codes?: number[]; backoff?: string };

function retryGateway(retry: Retry | undefined, pods: ("pod-a" | "pod-b")[] = ["pod-a", "pod-b"], rule = {}) {
  const name = clusterName("retry");
  return gatewayFor(
    tableFor("retry.test", { [name]: podsCluster(pods) }, [
      { backendRefs: [{ name }], ...(retry ? { retry } : {}), ...rule },
    ]),
  );
}

async function fetchLogged(gw: GatewayConfig, path: string, init: RequestInit = {}) {
  const { result, lines } = await accessLogDuring(async () => {
    const res = await gatewayFetch(gw, `https://retry.test${path}`, init);
    return { status: res.status, pod: res.headers.get("x-pod"), text: await res.text() };
  });
  return { ...result, log: lines[0]! };
}

const allRequests = async () => [...(await podRequests("pod-a")), ...(await podRequests("pod-b"))];

describe("retry policy", () => {
  it("a status in `codes` is retried on the other endpoint; the client gets the good answer", async () => {
    const gw = retryGateway({ attempts: 2, codes: [503], backoff: "10ms" });
    await failNext("pod-a", 1, 503);
    const res = await fetchLogged(gw, "/x");
    expect(res.status).toBe(200);
    expect(res.pod).toBe("pod-b");
    expect(res.log).toMatchObject({ attempts: 2, endpoint: "pod-b", status: 200 });
  });

  it("`attempts` bounds the retries: attempts 2 means at most three requests, then the last answer", async () => {
    const gw = retryGateway({ attempts: 2, codes: [503], backoff: "1ms" });
    await failNext("pod-a", 10, 503);
    await failNext("pod-b", 10, 503);
    const res = await fetchLogged(gw, "/x");
    expect(res.status).toBe(503);
    // The origin's own 503, not a gateway error: its body is the pod's echo.
    expect(JSON.parse(res.text)).toMatchObject({ url: "/x" });
    expect(res.log.attempts).toBe(3);
    expect(await allRequests()).toHaveLength(3);
  });

  it("a status not in `codes` is answered as it is", async () => {
    const gw = retryGateway({ attempts: 2, codes: [503] });
    await failNext("pod-a", 1, 500);
    const res = await fetchLogged(gw, "/x");
    expect(res.status).toBe(500);
    expect(res.log.attempts).toBe(1);
    expect(await allRequests()).toHaveLength(1);
  });

  it("without a retry policy, a 5xx answer goes back to the client after one attempt", async () => {
    const gw = retryGateway(undefined);
    await failNext("pod-a", 1, 503);
    const res = await fetchLogged(gw, "/x");
    expect(res.status).toBe(503);
    expect(res.log.attempts).toBe(1);
  });

  it("backoff: the waits between attempts are at least backoff, then twice backoff", async () => {
    const gw = retryGateway({ attempts: 2, codes: [503], backoff: "150ms" });
    await failNext("pod-a", 10, 503);
    await failNext("pod-b", 10, 503);
    await fetchLogged(gw, "/x");
    const times = (await allRequests()).map((r) => r.at).sort((a, b) => a - b);
    expect(times).toHaveLength(3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(150);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(300);
  });

  it("a response timeout counts as 504 for `codes`: retried, then 504 upstream_timeout", async () => {
    const gw = retryGateway({ attempts: 1, codes: [504], backoff: "1ms" }, ["pod-a", "pod-b"], {
      timeouts: { backendRequest: "100ms" },
    });
    await delayNext("pod-a", 1, 2000);
    await delayNext("pod-b", 1, 2000);
    const res = await fetchLogged(gw, "/x");
    expect(res.status).toBe(504);
    expect(JSON.parse(res.text)).toMatchObject({ error: "upstream_timeout" });
    expect(res.log.attempts).toBe(2);
    expect((await podRequests("pod-a")).length + (await podRequests("pod-b")).length).toBe(2);
  });
});

describe("what may be replayed", () => {
  it("a refused connection is retried on another endpoint, even without a retry policy", async () => {
    const gw = retryGateway(undefined);
    await stopPod("pod-a");
    const res = await fetchLogged(gw, "/x");
    expect(res.status).toBe(200);
    expect(res.pod).toBe("pod-b");
    expect(res.log.attempts).toBe(2);
  });

  it("idempotent methods without a body are replayed: GET, HEAD, PUT, DELETE", async () => {
    for (const method of ["GET", "HEAD", "PUT", "DELETE"]) {
      const gw = retryGateway({ attempts: 1, codes: [503], backoff: "1ms" });
      await failNext("pod-a", 1, 503);
      const res = await fetchLogged(gw, "/x", { method });
      expect([method, res.status, res.log.attempts]).toEqual([method, 200, 2]);
    }
  });

  it("a POST is never replayed, even with a retry policy and even when the connection was refused", async () => {
    const gw = retryGateway({ attempts: 2, codes: [503], backoff: "1ms" });
    await failNext("pod-a", 1, 503);
    const answered = await fetchLogged(gw, "/orders", { method: "POST", body: "order 1" });
    expect(answered.status).toBe(503);
    expect(answered.log.attempts).toBe(1);
    expect((await podRequests("pod-a")).map((r) => r.body)).toEqual(["order 1"]);
    expect(await podRequests("pod-b")).toEqual([]);

    const refused = retryGateway({ attempts: 2, codes: [503] }, ["pod-b", "pod-a"]);
    await stopPod("pod-b");
    const lost = await fetchLogged(refused, "/orders", { method: "POST" });
    expect(lost.status).toBe(502);
    expect(lost.log).toMatchObject({ attempts: 1, error: "upstream_unreachable" });
  });

  it("a streamed body is never replayed, whatever the method", async () => {
    const gw = retryGateway({ attempts: 2, codes: [503], backoff: "1ms" });
    await failNext("pod-a", 1, 503);
    const body = new Blob(["chunk 1\n", "chunk 2\n"]).stream();
    const res = await fetchLogged(gw, "/upload", { method: "PUT", body, duplex: "half" } as RequestInit);
    expect(res.status).toBe(503);
    expect(res.log.attempts).toBe(1);
    expect((await podRequests("pod-a")).map((r) => r.body)).toEqual(["chunk 1\nchunk 2\n"]);
    expect(await podRequests("pod-b")).toEqual([]);
  });

  it("why: workerd has read a request body before the connection is refused (a retry would have none)", async () => {
    let pulled = 0;
    const body = new ReadableStream({
      pull(controller) {
        pulled++;
        controller.enqueue(new TextEncoder().encode("payload"));
        controller.close();
      },
    });
    const refused = fetch("http://127.0.0.1:1/", { method: "POST", body, duplex: "half" } as RequestInit);
    await expect(refused).rejects.toThrow();
    expect(pulled).toBe(1);
    expect(body.locked).toBe(true);
  });
});
