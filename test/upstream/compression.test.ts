/**
 * Compressed bodies pass through byte for byte. Inside workerd a test cannot see the bytes on the wire
 * (`fetch` decodes what it receives), so this one runs in Node: the real Worker under `wrangler dev`
 * (local, offline), a table pushed with the CLI into a temporary persist directory, a real pod, and a
 * raw HTTP client that does not decode. The bytes the client gets through the gateway must be the very
 * bytes the pod sends.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OriginPod, startOriginPod } from "../../scripts/origin-pod.ts";
import { main as gatehouse } from "../../src/cli/main.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const wranglerBin = join(repoRoot, "node_modules/wrangler/bin/wrangler.js");

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** GET without any decoding: the bytes as they came off the socket (after HTTP/1.1 de-chunking). */
function rawGet(port: number, path: string, headers: Record<string, string>): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: "127.0.0.1", port, path, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
    });
    request.on("error", reject);
  });
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let dir: string;
let pod: OriginPod;
let port: number;
let wrangler: ReturnType<typeof spawn> | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gatehouse-compression-"));
  pod = await startOriginPod("pod-z");
  const table = join(dir, "routes.json");
  await writeFile(
    table,
    JSON.stringify({
      version: 1,
      clusters: { z: { endpoints: [{ url: pod.url, name: "pod-z" }] } },
      routes: [{ id: "all", rules: [{ backendRefs: [{ name: "z" }] }] }],
    }),
  );
  const state = join(dir, "state");
  const quiet = { stdout: () => {}, stderr: () => {} };
  expect(await gatehouse(["push", table, "--local", "--persist-to", state], quiet)).toBe(0);

  port = await freePort();
  wrangler = spawn(
    process.execPath,
    [wranglerBin, "dev", "--local", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", state],
    {
      cwd: repoRoot,
      detached: true,
      stdio: "ignore",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    },
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = await rawGet(port, "/", {}).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    if (Date.now() > deadline) throw new Error(`wrangler dev did not serve the table on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}, 90_000);

afterAll(async () => {
  if (wrangler?.pid) {
    const exited = new Promise((resolve) => wrangler!.once("exit", resolve));
    try {
      process.kill(-wrangler.pid, "SIGTERM");
      await exited;
      process.kill(-wrangler.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await pod?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 30_000);

describe("compressed bodies", () => {
  it("a gzip body reaches the client byte for byte, with its Content-Encoding", async () => {
    const headers = { "accept-encoding": "gzip" };
    const direct = await rawGet(pod.port, "/gzip", headers);
    const through = await rawGet(port, "/gzip", headers);
    expect(through.status).toBe(200);
    expect(through.headers["content-encoding"]).toBe("gzip");
    expect(through.headers["x-pod"]).toBe("pod-z");
    // The gzip magic number: still compressed, not decoded and re-encoded.
    expect(through.body.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(through.body.equals(direct.body)).toBe(true);
  });
});
