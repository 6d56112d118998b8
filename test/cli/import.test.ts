/** `gatehouse import`, run as the real executable: exit codes, --check, --output, --class, usage. */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runGatehouse } from "./bin.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gatehouse-import-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("gatehouse import", () => {
  it("writes the table to --output and the problems to stderr, exit 0", async () => {
    const output = join(dir, "routes.yaml");
    const run = await runGatehouse(["import", "test/fixtures/k8s/ingress-nginx.yaml", "--output", output]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain('nginx.ingress.kubernetes.io/configuration-snippet"]: refused');
    expect(await readFile(output, "utf8")).toBe(
      await readFile("test/fixtures/k8s/ingress-nginx.expected.yaml", "utf8"),
    );
    const validate = await runGatehouse(["validate", output]);
    expect(validate.code).toBe(0);
  });

  it("--check writes nothing and exits 1 when something cannot be honoured", async () => {
    const run = await runGatehouse(["import", "--check", "test/fixtures/k8s/ingress-nginx.yaml"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/import: 2 problems cannot be honoured\n$/);
  });

  it("--check exits 0 when everything can be honoured", async () => {
    const run = await runGatehouse(["import", "--check", "--class", "nginx", "-"], {
      stdin:
        "kind: Service\nmetadata: { name: web, namespace: a }\nspec: { ports: [{ port: 80 }] }\n---\nkind: Ingress\nmetadata: { name: web, namespace: a }\nspec:\n  ingressClassName: nginx\n  rules: [{ host: a.example.com, http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }] } }]\n",
    });
    expect(run.stderr).toMatch(/import: everything can be honoured \(1 routes\)\n$/);
    expect(run.code).toBe(0);
  });

  it("is a usage error without a PATH or with an unknown endpoint source", async () => {
    expect((await runGatehouse(["import"])).code).toBe(2);
    const run = await runGatehouse(["import", "x.yaml", "--endpoint-source", "Pods"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--endpoint-source must be ServiceDNS or EndpointSlices");
  });
});

describe("gatehouse import --transport", () => {
  it("gives every cluster no policy decides for that transport", async () => {
    const run = await runGatehouse([
      "import",
      "--transport",
      "vpc:CLUSTER_VPC",
      "test/fixtures/k8s/ingress-nginx.yaml",
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain("no transport");
    expect(run.stdout.match(/binding: CLUSTER_VPC/g)).toHaveLength(3);
  });

  it("is a usage error when it is not one of the forms", async () => {
    const run = await runGatehouse(["import", "--transport", "vpc", "x.yaml"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--transport must be vpc:BINDING");
  });
});
