/**
 * Shared by the data-path suites: tables over the real pods, the pods' echo, and the access log as the
 * pipeline writes it.
 */
import { vi } from "vitest";
import type { RouteTableInput } from "../../src/config/schema.ts";
import type { AccessLogEntry } from "../../src/gateway/access-log.ts";
import { type PodName, podUrl } from "../support/origins.ts";

/** What a pod echoes: the request as it arrived at the origin. */
export interface PodEcho {
  pod: string;
  method: string;
  url: string;
  headers: Record<string, string | undefined>;
  body: string;
}

export async function echoOf(res: Response): Promise<PodEcho> {
  return (await res.json()) as PodEcho;
}

let unique = 0;
/**
 * A cluster name no other test uses. Passive health is per isolate and keyed by cluster name and
 * endpoint URL (so that it survives table versions): distinct names keep one test's failures out of
 * another's choices.
 */
export function clusterName(prefix: string): string {
  return `${prefix}-${++unique}`;
}

type ClusterInput = NonNullable<RouteTableInput["clusters"]>[string];
type RuleInput = RouteTableInput["routes"][number]["rules"][number];

/** One route on `host` with the given rules, over the given clusters. */
export function tableFor(
  host: string,
  clusters: Record<string, ClusterInput>,
  rules: RuleInput[],
  extra: Partial<RouteTableInput> = {},
): RouteTableInput {
  return { version: 1, clusters, routes: [{ id: "r", hostnames: [host], rules }], ...extra };
}

export function podsCluster(pods: PodName[], extra: Partial<ClusterInput> = {}): ClusterInput {
  return { endpoints: pods.map((p) => ({ url: podUrl(p), name: p })), ...extra } as ClusterInput;
}

/** Records the access-log lines written while `run` runs. */
export async function accessLogDuring<T>(
  run: () => Promise<T>,
): Promise<{ result: T; lines: AccessLogEntry[] }> {
  const lines: AccessLogEntry[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((line: unknown) => {
    if (typeof line !== "string") return;
    try {
      const parsed = JSON.parse(line) as { type?: string } & AccessLogEntry;
      if (parsed.type === "access") lines.push(parsed);
    } catch {
      // not a log line of ours
    }
  });
  try {
    return { result: await run(), lines };
  } finally {
    spy.mockRestore();
  }
}

/** Reads a body until `predicate` holds for the text so far; then stops reading (cancels the rest). */
export async function readUntil(
  body: ReadableStream<Uint8Array>,
  predicate: (text: string) => boolean,
): Promise<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (!predicate(text)) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    return text;
  } finally {
    await reader.cancel().catch(() => {});
  }
}
