/** Reading manifests: multi-document YAML, kubectl's List, typed lists, JSON, directories, bad input. */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseManifests, readManifests } from "../../src/kubernetes/manifests.ts";

const names = (set: { objects: { kind: string; metadata?: { name?: string } }[] }) =>
  set.objects.map((o) => `${o.kind}/${o.metadata?.name}`);

describe("parseManifests", () => {
  it("reads every document of a stream and counts the kinds it does not route from", () => {
    const set = parseManifests(
      "kind: Service\nmetadata: { name: a }\n---\n---\nkind: Deployment\nmetadata: { name: d }\n---\nkind: Ingress\nmetadata: { name: i }\n",
      "x.yaml",
    );
    expect(names(set)).toEqual(["Service/a", "Ingress/i"]);
    expect(set.ignoredKinds).toEqual({ Deployment: 1 });
    expect(set.problems).toEqual([]);
  });

  it("unpacks kubectl's `kind: List` and the API's typed lists (items without kind)", () => {
    const list = parseManifests(
      "apiVersion: v1\nkind: List\nitems:\n  - { kind: Service, metadata: { name: a } }\n  - { kind: HTTPRoute, metadata: { name: r } }\n",
      "l.yaml",
    );
    expect(names(list)).toEqual(["Service/a", "HTTPRoute/r"]);
    const typed = parseManifests('{"kind":"IngressList","items":[{"metadata":{"name":"i"}}]}', "l.json");
    expect(names(typed)).toEqual(["Ingress/i"]);
  });

  it("reports a broken document with its position and keeps the others", () => {
    const set = parseManifests("kind: Service\nmetadata: { name: a }\n---\nkind: [\n---\n- 1\n", "bad.yaml");
    expect(names(set)).toEqual(["Service/a"]);
    expect(set.problems.map((p) => `${p.source}: ${p.reason}`)).toEqual([
      expect.stringMatching(/^bad\.yaml \(document 2\): line \d+, column \d+: .*: the document is skipped$/),
      "bad.yaml (document 3): is not a Kubernetes object (a mapping with kind and apiVersion): skipped",
    ]);
  });

  it("refuses YAML tags and bounds alias expansion", () => {
    expect(parseManifests("kind: !!js/function x\n", "t.yaml").problems).toHaveLength(1);
    const bomb =
      "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n" +
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n" +
      "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nkind: Service\n";
    expect(parseManifests(bomb, "bomb.yaml").problems).toHaveLength(1);
  });
});

describe("readManifests", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "gatehouse-manifests-"));
    await mkdir(join(dir, "nested"));
    await writeFile(join(dir, "b.yaml"), "kind: Service\nmetadata: { name: b }\n");
    await writeFile(join(dir, "nested", "a.yml"), "kind: Service\nmetadata: { name: a }\n");
    await writeFile(join(dir, "c.json"), '{"kind":"Service","metadata":{"name":"c"}}');
    await writeFile(join(dir, "notes.txt"), "kind: Service\n");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("walks directories in name order, manifests only, then stdin", async () => {
    const set = await readManifests([dir, "-"], Readable.from(["kind: Ingress\nmetadata: { name: s }\n"]));
    expect(names(set)).toEqual(["Service/b", "Service/c", "Service/a", "Ingress/s"]);
  });

  it("reports a path that cannot be read and goes on", async () => {
    const set = await readManifests([join(dir, "missing.yaml"), join(dir, "b.yaml")]);
    expect(names(set)).toEqual(["Service/b"]);
    expect(set.problems[0]!.reason).toBe("cannot read (no such file or directory)");
  });
});
