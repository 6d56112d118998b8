/**
 * Request size limits through the real pipeline in workerd, with bodies streamed to a real pod: a
 * declared Content-Length is refused up front; a chunked body is counted on its way and cut at the limit.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { gatewayFetch, gatewayFor } from "../support/gateway.ts";
import { podRequests, resetAllPods } from "../support/origins.ts";
import { type ErrorBody, policyTable, url } from "./support.ts";

beforeEach(async () => {
  await resetAllPods();
  vi.spyOn(console, "log").mockImplementation(() => {}); // the access log: one line per request
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** A body with no declared length: `chunks` pieces of `size` bytes, each written as it is read. */
function chunked(chunks: number, size: number): RequestInit {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent === chunks) return controller.close();
      sent++;
      controller.enqueue(new Uint8Array(size).fill(0x61));
    },
  });
  return { method: "POST", body, duplex: "half" } as RequestInit;
}

async function errorOf(response: Response, status: number): Promise<string> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as ErrorBody;
  expect(body.requestId).toBe(response.headers.get("x-request-id"));
  return body.error;
}

describe("bodyBytes", () => {
  const gateway = () => gatewayFor(policyTable({ requestLimits: { bodyBytes: 1000 } }));

  it("refuses a declared Content-Length over the limit before contacting the origin", async () => {
    // As a client sends it (a Request built in a Worker declares no length until it is sent).
    const response = await gatewayFetch(gateway(), url("/upload"), {
      method: "POST",
      headers: { "content-length": "1001" },
      body: "x".repeat(1001),
    });
    expect(await errorOf(response, 413)).toBe("body_too_large");
    expect(await podRequests("pod-a")).toHaveLength(0);
  });

  it("forwards a declared body at the limit whole", async () => {
    const response = await gatewayFetch(gateway(), url("/upload"), {
      method: "POST",
      body: "x".repeat(1000),
    });
    expect(response.status).toBe(200);
    await response.body?.cancel();
    const [seen] = await podRequests("pod-a");
    expect(seen?.body).toHaveLength(1000);
  });

  it("streams a chunked body within the limit to the origin whole", async () => {
    const response = await gatewayFetch(gateway(), url("/upload"), chunked(10, 100));
    expect(response.status).toBe(200);
    await response.body?.cancel();
    const [seen] = await podRequests("pod-a");
    expect(seen?.body).toHaveLength(1000);
    expect(seen?.headers["transfer-encoding"]).toBe("chunked");
  });

  it("cuts a chunked body at the limit: the client gets 413, the origin never gets a whole request", async () => {
    const response = await gatewayFetch(gateway(), url("/upload"), chunked(50, 100));
    expect(await errorOf(response, 413)).toBe("body_too_large");
    for (const seen of await podRequests("pod-a")) expect(seen.body.length).toBeLessThanOrEqual(1000);
  });

  it("never blames the endpoint for a body it cut: six cut uploads do not eject the only pod", async () => {
    const gw = gateway();
    for (let i = 0; i < 6; i++) {
      const response = await gatewayFetch(gw, url("/upload"), chunked(50, 100));
      expect(response.status).toBe(413);
      await response.body?.cancel();
    }
    const after = await gatewayFetch(gw, url("/"));
    expect(after.status).toBe(200);
    await after.body?.cancel();
  });

  it("with bodyBytes 0, refuses any body", async () => {
    const gw = gatewayFor(policyTable({ requestLimits: { bodyBytes: 0 } }));
    const declared = { method: "POST", headers: { "content-length": "1" }, body: "x" };
    expect(await errorOf(await gatewayFetch(gw, url("/"), declared), 413)).toBe("body_too_large");
    expect(await errorOf(await gatewayFetch(gw, url("/"), chunked(1, 1)), 413)).toBe("body_too_large");
    const get = await gatewayFetch(gw, url("/"));
    expect(get.status).toBe(200);
    await get.body?.cancel();
  });
});

describe("headerBytes and urlBytes", () => {
  it("answers 431 headers_too_large past headerBytes, counting name: value CRLF", async () => {
    const gw = gatewayFor(policyTable({ requestLimits: { headerBytes: 200 } }));
    const ok = await gatewayFetch(gw, url("/"), { headers: { "x-small": "a".repeat(50) } });
    expect(ok.status).toBe(200);
    await ok.body?.cancel();
    const big = await gatewayFetch(gw, url("/"), { headers: { "x-big": "a".repeat(200) } });
    expect(await errorOf(big, 431)).toBe("headers_too_large");
    expect(await podRequests("pod-a")).toHaveLength(1);
  });

  it("answers 414 url_too_long past urlBytes, counting path and query", async () => {
    const gw = gatewayFor(policyTable({ requestLimits: { urlBytes: 64 } }));
    const ok = await gatewayFetch(gw, url(`/${"p".repeat(40)}?q=${"v".repeat(20)}`)); // 64 bytes
    expect(ok.status).toBe(200);
    await ok.body?.cancel();
    const long = await gatewayFetch(gw, url(`/${"p".repeat(40)}?q=${"v".repeat(21)}`));
    expect(await errorOf(long, 414)).toBe("url_too_long");
  });

  it("merges requestLimits from the table's defaults field by field", async () => {
    const gw = gatewayFor(
      policyTable(
        { requestLimits: { bodyBytes: 10 } },
        { defaults: { requestLimits: { urlBytes: 16, bodyBytes: 1000 } } },
      ),
    );
    expect(await errorOf(await gatewayFetch(gw, url("/this/path/is/long")), 414)).toBe("url_too_long");
    expect(
      await errorOf(await gatewayFetch(gw, url("/"), { method: "POST", body: "x".repeat(11) }), 413),
    ).toBe("body_too_large");
  });
});
