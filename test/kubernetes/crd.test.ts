/** The GatehousePolicy CRD: committed file fresh, and a schema the API server accepts (structural). */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CRD_FILE, renderCrd } from "../../scripts/export-json-schema.ts";

type Node = { [key: string]: unknown };

/** Every place a structural schema can go wrong, as `path: reason`. */
function structuralProblems(node: Node, path: string): string[] {
  const problems: string[] = [];
  if (node.anyOf || node.oneOf || node.allOf || node.not) problems.push(`${path}: has anyOf/oneOf/allOf/not`);
  if (node.type === undefined && node["x-kubernetes-preserve-unknown-fields"] !== true)
    problems.push(`${path}: has no type`);
  if (node.additionalProperties === false) problems.push(`${path}: additionalProperties: false`);
  if (node.additionalProperties && node.properties)
    problems.push(`${path}: both properties and additionalProperties`);
  if (node.default !== undefined) problems.push(`${path}: has a default (the table applies its own)`);
  for (const [key, child] of Object.entries((node.properties ?? {}) as Record<string, Node>))
    problems.push(...structuralProblems(child, `${path}.${key}`));
  if (node.items) problems.push(...structuralProblems(node.items as Node, `${path}[]`));
  if (node.additionalProperties && typeof node.additionalProperties === "object")
    problems.push(...structuralProblems(node.additionalProperties as Node, `${path}.*`));
  return problems;
}

describe("deploy/crds/gatehouse.dev_gatehousepolicies.yaml", () => {
  const committed = readFileSync(CRD_FILE, "utf8");

  it("is what npm run schema:export writes from the route table's schema", () => {
    expect(committed).toBe(renderCrd());
  });

  it("is a structural schema", () => {
    const crd = parse(committed);
    const schema = crd.spec.versions[0].schema.openAPIV3Schema as Node;
    expect(structuralProblems(schema, "openAPIV3Schema")).toEqual([]);
  });

  it("has the route table's field names and the transport variants' fields", () => {
    const spec = parse(committed).spec.versions[0].schema.openAPIV3Schema.properties.spec.properties;
    expect(Object.keys(spec)).toEqual([
      "targetRefs",
      "providers",
      "auth",
      "tls",
      "trustRequestId",
      "transport",
      "loadBalancer",
      "healthCheck",
      "hostname",
      "endpointSource",
    ]);
    expect(spec.transport.properties.type.enum).toEqual(["direct", "vpc", "access"]);
    expect(Object.keys(spec.transport.properties)).toEqual(
      expect.arrayContaining(["binding", "allowInsecure", "clientId", "clientSecret"]),
    );
  });
});
