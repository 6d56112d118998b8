/**
 * Reading Kubernetes manifests: YAML streams (several `---` documents), `kind: List` as printed by
 * `kubectl get -o yaml`, and JSON, from files, directories (`*.yaml`, `*.yml`, `*.json`, recursively,
 * in name order) or stdin (`-`). Objects of kinds Gatehouse does not route from are counted, not kept.
 *
 * `parseManifests` is pure (text in, objects out); `readManifests` is the Node side (files, stdin).
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { LineCounter, parseAllDocuments } from "yaml";
import { isRoutingKind, type KubeObject } from "./objects.ts";

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
  const set: ManifestSet = { objects: [], problems: [], ignoredKinds: {} };
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { schema: "core", uniqueKeys: true, strict: true, lineCounter });
  const list = Array.isArray(documents) ? documents : [documents];
  list.forEach((document, index) => {
    const where = list.length > 1 ? `${source} (document ${index + 1})` : source;
    const problem = document.errors[0] ?? document.warnings[0];
    if (problem) {
      const at = problem.linePos?.[0];
      const message = problem.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, "");
      set.problems.push({
        source: where,
        reason: `${at ? `line ${at.line}, column ${at.col}: ` : ""}${message}: the document is skipped`,
        severity: "error",
      });
      return;
    }
    if (document.contents === null) return;
    let data: unknown;
    try {
      // Aliases may not expand a few kilobytes into gigabytes.
      data = document.toJS({ maxAliasCount: 100 });
    } catch (error) {
      set.problems.push({
        source: where,
        reason: `${(error as Error).message}: the document is skipped`,
        severity: "error",
      });
      return;
    }
    if (data === null || data === undefined) return; // an empty document ("---" twice)
    collect(data, where, set, undefined);
  });
  return set;
}

/** An object, or a `List` (kubectl's `kind: List`, the API's `IngressList`…) of them. */
function collect(data: unknown, where: string, set: ManifestSet, impliedKind: string | undefined): void {
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    set.problems.push({
      source: where,
      reason: "is not a Kubernetes object (a mapping with kind and apiVersion): skipped",
      severity: "error",
    });
    return;
  }
  const object = data as Record<string, unknown>;
  const kind = typeof object.kind === "string" ? object.kind : impliedKind;
  if (kind === undefined) {
    set.problems.push({ source: where, reason: "has no kind: skipped", severity: "error" });
    return;
  }
  if (kind.endsWith("List") && Array.isArray(object.items)) {
    const itemKind = kind === "List" ? undefined : kind.slice(0, -"List".length);
    object.items.forEach((item, i) => {
      collect(item, `${where} items[${i}]`, set, itemKind);
    });
    return;
  }
  if (!isRoutingKind(kind)) {
    set.ignoredKinds[kind] = (set.ignoredKinds[kind] ?? 0) + 1;
    return;
  }
  set.objects.push({ ...object, kind } as KubeObject);
}

const MANIFEST_FILE = /\.(ya?ml|json)$/i;

/** Read every path (a file, a directory, or `-` for `stdin`), in the order given. */
export async function readManifests(
  paths: readonly string[],
  stdin?: NodeJS.ReadableStream,
): Promise<ManifestSet> {
  const all: ManifestSet = { objects: [], problems: [], ignoredKinds: {} };
  const add = (set: ManifestSet) => {
    all.objects.push(...set.objects);
    all.problems.push(...set.problems);
    for (const [kind, count] of Object.entries(set.ignoredKinds))
      all.ignoredKinds[kind] = (all.ignoredKinds[kind] ?? 0) + count;
  };
  for (const path of paths) {
    if (path === "-") {
      add(parseManifests(await readStream(stdin ?? process.stdin), "-"));
      continue;
    }
    let files: string[];
    try {
      files = (await stat(path)).isDirectory() ? await manifestFiles(path) : [path];
    } catch (error) {
      all.problems.push({ source: path, reason: `cannot read (${describeError(error)})`, severity: "error" });
      continue;
    }
    for (const file of files) {
      try {
        add(parseManifests(await readFile(file, "utf8"), file));
      } catch (error) {
        all.problems.push({
          source: file,
          reason: `cannot read (${describeError(error)})`,
          severity: "error",
        });
      }
    }
  }
  return all;
}

/** `*.yaml`, `*.yml`, `*.json` under a directory, recursively, in name order. */
async function manifestFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  const out: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) out.push(...(await manifestFiles(path)));
    else if (entry.isFile() && MANIFEST_FILE.test(entry.name)) out.push(path);
  }
  return out;
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  let text = "";
  stream.setEncoding("utf8");
  for await (const chunk of stream) text += chunk as string;
  return text;
}

function describeError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" ? "no such file or directory" : (code ?? String(error));
}
