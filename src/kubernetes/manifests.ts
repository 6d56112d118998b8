/**
 * Reading Kubernetes manifests: YAML streams (several `---` documents), `kind: List` as printed by
 * `kubectl get -o yaml`, and JSON, from files, directories (`*.yaml`, `*.yml`, `*.json`, recursively,
 * in name order) or stdin (`-`). Objects of kinds Gatehouse does not route from are counted, not kept.
 *
 * `parseManifests` is pure (text in, objects out); `readManifests` is the Node side (files, stdin).
 */
import type { KubeObject } from "./objects.ts";

export interface ManifestProblem {
  /** `file.yaml`, `file.yaml (document 3)`, `-` for stdin. */
  readonly source: string;
  readonly reason: string;
  readonly severity: "error" | "warning";
}

export interface ManifestSet {
  readonly objects: KubeObject[];
  readonly problems: ManifestProblem[];
  /** Kinds that were read but are not routed from (Deployment, ConfigMap…), with how many of each. */
  readonly ignoredKinds: Record<string, number>;
}

/** Parse one file's text. `source` names it in problems. */
export function parseManifests(text: string, source: string): ManifestSet {
  void text;
  void source;
  throw new Error("not implemented");
}

/** Read every path (a file, a directory, or `-` for `stdin`), in the order given. */
export async function readManifests(
  paths: readonly string[],
  stdin?: NodeJS.ReadableStream,
): Promise<ManifestSet> {
  void paths;
  void stdin;
  throw new Error("not implemented");
}
