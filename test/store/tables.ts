/** Small valid route tables for the store and CLI tests. */
import type { RouteTableInput } from "../../src/config/schema.ts";

/** One cluster, one route per host; every path to the cluster. */
export function tableFor(...hosts: string[]): RouteTableInput {
  return {
    version: 1,
    clusters: { pods: { endpoints: [{ url: "http://127.0.0.1:9001" }] } },
    routes: hosts.map((host) => ({
      id: host.split(".")[0]!,
      hostnames: [host],
      rules: [{ backendRefs: [{ name: "pods" }] }],
    })),
  };
}
