/** Test-side helpers for the pods and control server started by `global-setup.ts`. */
import { inject } from "vitest";
import type { RecordedRequest } from "../../scripts/origin-pod.ts";

export type PodName = "pod-a" | "pod-b" | "pod-c" | "pod-d";

export function podUrl(name: PodName): string {
  const url = inject("pods")[name];
  if (!url) throw new Error(`no pod ${name}`);
  return url;
}

export function controlUrl(): string {
  return inject("control");
}

async function control(path: string, init?: RequestInit): Promise<Response> {
  const res = await fetch(`${controlUrl()}${path}`, init);
  if (!res.ok) throw new Error(`control ${path}: ${res.status} ${await res.text()}`);
  return res;
}

export async function podRequests(name: PodName): Promise<RecordedRequest[]> {
  return (await control(`/pods/${name}/requests`)).json();
}
export async function resetPod(name: PodName): Promise<void> {
  await control(`/pods/${name}/reset`, { method: "POST" });
}
export async function resetAllPods(): Promise<void> {
  for (const name of ["pod-a", "pod-b", "pod-c", "pod-d"] as const) {
    await control(`/pods/${name}/start`, { method: "POST" });
    await resetPod(name);
  }
}
export async function failNext(name: PodName, count: number, status = 502): Promise<void> {
  await control(`/pods/${name}/fail?count=${count}&status=${status}`, { method: "POST" });
}
export async function delayNext(name: PodName, count: number, ms: number): Promise<void> {
  await control(`/pods/${name}/delay?count=${count}&ms=${ms}`, { method: "POST" });
}
export async function stopPod(name: PodName): Promise<void> {
  await control(`/pods/${name}/stop`, { method: "POST" });
}
export async function startPod(name: PodName): Promise<void> {
  await control(`/pods/${name}/start`, { method: "POST" });
}

/** Serve `doc` as a JWKS at a fresh URL on the control server; returns that URL. */
export async function putJwks(
  name: string,
  doc: unknown,
  options: { cacheControl?: string; status?: number; delayMs?: number } = {},
): Promise<string> {
  const q = new URLSearchParams();
  if (options.cacheControl) q.set("cacheControl", options.cacheControl);
  if (options.status) q.set("status", String(options.status));
  if (options.delayMs) q.set("delayMs", String(options.delayMs));
  await control(`/jwks/${name}?${q}`, { method: "PUT", body: JSON.stringify(doc) });
  return `${controlUrl()}/jwks/${name}`;
}
export async function jwksFetchCount(name: string): Promise<number> {
  return ((await (await control(`/jwks/${name}/count`)).json()) as { fetches: number }).fetches;
}
