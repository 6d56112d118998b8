/**
 * Runs in Node before the workerd test files: starts real origin pods and a control server on
 * 127.0.0.1, and hands their addresses to the tests through `inject()`.
 *
 * Control server (tests in workerd reach it with plain fetch):
 *   GET  /pods/NAME/requests          what that pod received since the last reset (JSON array)
 *   POST /pods/NAME/reset             forget recorded requests and pending failures
 *   POST /pods/NAME/fail?count&status answer the next `count` requests with `status`
 *   POST /pods/NAME/delay?count&ms    hold the answer to the next `count` requests for `ms`
 *   POST /pods/NAME/stop | /start     take the pod off the network, or bring it back on the same port
 *   PUT  /jwks/NAME                   store a JSON document; query: cacheControl, status, delayMs
 *   GET  /jwks/NAME                   serve it as configured (a real JWKS endpoint)
 *   GET  /jwks/NAME/count             how many times it was fetched
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";
import { type OriginPod, startOriginPod } from "../../scripts/origin-pod.ts";
import { PATH_PROFILES, type ProfileOrigin, startProfileOrigin } from "./path-profile-origins.ts";

export const POD_NAMES = ["pod-a", "pod-b", "pod-c", "pod-d"] as const;

declare module "vitest" {
  export interface ProvidedContext {
    pods: Record<string, string>;
    control: string;
    /** Origins that resolve paths as common frameworks do (`path-profile-origins.ts`), by profile. */
    profiles: Record<string, string>;
  }
}

interface JwksDoc {
  body: string;
  cacheControl: string | undefined;
  status: number;
  delayMs: number;
  fetches: number;
}

export default async function setup(project: TestProject) {
  const pods = new Map<string, OriginPod>();
  for (const name of POD_NAMES) pods.set(name, await startOriginPod(name));
  const jwks = new Map<string, JwksDoc>();
  const profiles = new Map<string, ProfileOrigin>();
  for (const profile of PATH_PROFILES) profiles.set(profile, await startProfileOrigin(profile));

  const control = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const url = new URL(req.url ?? "/", "http://control");
      const parts = url.pathname.split("/").filter(Boolean);
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(value));
      };
      if (parts[0] === "pods") {
        const pod = pods.get(parts[1] ?? "");
        if (!pod) return json(404, { error: "no such pod" });
        switch (parts[2]) {
          case "requests":
            return json(200, pod.requests);
          case "reset":
            pod.requests.length = 0;
            pod.failNext(0, 502);
            pod.delayNext(0, 0);
            return json(200, { ok: true });
          case "fail":
            pod.failNext(
              Number(url.searchParams.get("count") ?? 1),
              Number(url.searchParams.get("status") ?? 502),
            );
            return json(200, { ok: true });
          case "delay":
            pod.delayNext(
              Number(url.searchParams.get("count") ?? 1),
              Number(url.searchParams.get("ms") ?? 0),
            );
            return json(200, { ok: true });
          case "stop":
            await pod.stop();
            return json(200, { ok: true });
          case "start":
            if (!pod.running()) await pod.start();
            return json(200, { ok: true });
        }
        return json(404, { error: "unknown pod action" });
      }
      if (parts[0] === "jwks" && parts[1]) {
        const name = parts[1];
        if (req.method === "PUT") {
          jwks.set(name, {
            body: Buffer.concat(chunks).toString("utf8"),
            cacheControl: url.searchParams.get("cacheControl") ?? undefined,
            status: Number(url.searchParams.get("status") ?? 200),
            delayMs: Number(url.searchParams.get("delayMs") ?? 0),
            fetches: jwks.get(name)?.fetches ?? 0,
          });
          return json(200, { ok: true });
        }
        const doc = jwks.get(name);
        if (!doc) return json(404, { error: "no such key set" });
        if (parts[2] === "count") return json(200, { fetches: doc.fetches });
        doc.fetches++;
        const send = () => {
          const headers: Record<string, string> = { "content-type": "application/json" };
          if (doc.cacheControl) headers["cache-control"] = doc.cacheControl;
          res.writeHead(doc.status, headers);
          res.end(doc.body);
        };
        if (doc.delayMs > 0) setTimeout(send, doc.delayMs);
        else send();
        return;
      }
      json(404, { error: "unknown control path" });
    });
  });
  await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", () => resolve()));
  const controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;

  project.provide("pods", Object.fromEntries([...pods].map(([name, pod]) => [name, pod.url])));
  project.provide("control", controlUrl);
  project.provide("profiles", Object.fromEntries([...profiles].map(([name, origin]) => [name, origin.url])));

  return async () => {
    control.closeAllConnections();
    await new Promise<void>((resolve) => control.close(() => resolve()));
    for (const pod of pods.values()) await pod.stop();
    for (const origin of profiles.values()) await origin.close();
  };
}
