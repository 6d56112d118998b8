/**
 * `gatehouse controller` as a process: the real executable against the test API server, publishing into
 * the local state `gatehouse push --local` and `gatehouse versions` use, and shutting down on SIGTERM.
 * (Failover between replicas is test/kubernetes/controller/leader-election.test.ts, in-process.)
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  Cluster,
  CONTROLLER_TOKEN,
  endpointSlice,
  gateway,
  gatewayClass,
  httpRoute,
  routeConditions,
  service,
  startApiServer,
  until,
} from "../kubernetes/controller/harness.ts";
import type { KubeApiServer } from "../support/kube-api-server.ts";
import { REPO } from "./bin.ts";
import { gatehouse, type Workspace, workspace } from "./store-cli.ts";

const LEASE = { namespace: "gatehouse-system", name: "gatehouse-controller" };

let server: KubeApiServer;
let cluster: Cluster;
let ws: Workspace;
let kubeconfig: { path: string; remove(): void };
const children: ChildProcess[] = [];

beforeEach(async () => {
  server = await startApiServer();
  cluster = new Cluster(server);
  ws = await workspace();
  kubeconfig = server.writeKubeconfig({ token: CONTROLLER_TOKEN });
  await cluster.create(gatewayClass);
  await cluster.create(gateway);
  await cluster.create(service("storefront"));
  await cluster.create(endpointSlice("storefront", 9001));
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  await server.stop();
  kubeconfig.remove();
  await ws.remove();
});

/** `gatehouse controller` as a child process; its JSON log lines are kept, not printed. */
function spawnController(identity: string): {
  child: ChildProcess;
  logs: string[];
  exited: Promise<number | null>;
} {
  const child = spawn(
    process.execPath,
    [
      join(REPO, "bin", "gatehouse.js"),
      "controller",
      `--kubeconfig=${kubeconfig.path}`,
      `--persist-to=${ws.state}`,
      `--identity=${identity}`,
      `--lease-namespace=${LEASE.namespace}`,
      "--lease-duration=1",
      "--debounce=30",
      "--endpoint-source=EndpointSlices",
      "--public-hostname=gatehouse.example.net",
    ],
    { cwd: REPO, stdio: ["ignore", "ignore", "pipe"] },
  );
  children.push(child);
  const logs: string[] = [];
  child.stderr?.on("data", (chunk: Buffer) =>
    logs.push(...chunk.toString("utf8").split("\n").filter(Boolean)),
  );
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, logs, exited };
}

function leaseHolder(): string | undefined {
  const lease = server.get("Lease", LEASE.namespace, LEASE.name) as
    | { spec?: { holderIdentity?: string } }
    | undefined;
  return lease?.spec?.holderIdentity;
}

describe("gatehouse controller (the process)", () => {
  it("SIGTERM: the lease is released, exit 0, and `gatehouse versions` shows what it published", async () => {
    const route = httpRoute("shop", "shop.example.com", "storefront");
    await cluster.create(route);
    const a = spawnController("pod-a");
    const programmed = await until(
      "published and programmed",
      () => routeConditions(cluster.get(route))?.Programmed,
      20_000,
    );
    const version = /in route table version (\S+)/.exec(programmed.message)![1]!;
    expect(leaseHolder()).toBe("pod-a");

    a.child.kill("SIGTERM");
    expect(await a.exited).toBe(0);
    expect(leaseHolder()).toBeUndefined();
    expect(a.logs.some((l) => l.includes('"msg":"shutting down"') && l.includes("SIGTERM"))).toBe(true);

    const versions = await gatehouse("versions", "--persist-to", ws.state, "--json");
    expect(JSON.parse(versions.out)).toMatchObject({ active: version });
  }, 40_000);
});
