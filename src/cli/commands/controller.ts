/**
 * `gatehouse controller`: run the Kubernetes controller until SIGTERM (docs/kubernetes.md).
 *
 * It reads the cluster through a kubeconfig (`--kubeconfig`, else in-cluster credentials when run in a
 * pod, else the usual ~/.kube/config) and publishes to one of two places:
 *   --cloudflare   the real ROUTES namespace through the Cloudflare API: CLOUDFLARE_API_TOKEN and
 *                  CLOUDFLARE_ACCOUNT_ID from the environment (a Secret), `--namespace-id` or
 *                  GATEHOUSE_KV_NAMESPACE_ID; the token is never a flag, so it never shows in `ps`;
 *   (default)      local state, exactly where `gatehouse push --local` and `wrangler dev` meet
 *                  (`--persist-to`, `--config`, `--env` as for push).
 * Logs are JSON lines on stderr. SIGTERM or SIGINT: the reconcile in flight finishes, watches close, the
 * Lease is released, exit 0.
 */
import { hostname } from "node:os";
import type { KubeConfig } from "@kubernetes/client-node";
import { DEFAULT_CONTROLLER_NAME } from "../../kubernetes/translate.ts";
import { parseCommandLine } from "../args.ts";
import { CliUsageError, type Command, EXIT_INVALID, EXIT_OK } from "../command.ts";
import {
  KV_TARGET_OPTIONS,
  KvAccessError,
  kvTargetFromFlags,
  type OpenedKv,
  openKvTarget,
} from "../kv-target.ts";
import { parseTransport } from "./import.ts";

const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
const ENDPOINT_SOURCES = ["EndpointSlices", "ServiceDNS"] as const;

const OPTIONS = {
  ...KV_TARGET_OPTIONS,
  kubeconfig: { type: "string" },
  "controller-name": { type: "string" },
  "public-hostname": { type: "string" },
  identity: { type: "string" },
  "lease-namespace": { type: "string" },
  "lease-name": { type: "string" },
  "lease-duration": { type: "string" },
  debounce: { type: "string" },
  resync: { type: "string" },
  "endpoint-source": { type: "string" },
  "cluster-domain": { type: "string" },
  transport: { type: "string" },
  cloudflare: { type: "boolean" },
  "account-id": { type: "string" },
  "namespace-id": { type: "string" },
  "log-level": { type: "string" },
  json: { type: "boolean" },
} as const;

function positiveNumber(values: Record<string, unknown>, flag: string): number | undefined {
  const text = values[flag];
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw new CliUsageError(`--${flag}: expected a positive number, got ${JSON.stringify(text)}`);
  return n;
}

function oneOf<T extends string>(
  values: Record<string, unknown>,
  flag: string,
  allowed: readonly T[],
): T | undefined {
  const text = values[flag];
  if (text === undefined) return undefined;
  if (!allowed.includes(text as T)) {
    throw new CliUsageError(`--${flag}: expected one of ${allowed.join(", ")}, got ${JSON.stringify(text)}`);
  }
  return text as T;
}

/** The client library is loaded here, not at the top: every other command stays as quick to start as before. */
async function kubeConfigFrom(path: string | undefined): Promise<KubeConfig> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

export const controllerCommand: Command = {
  name: "controller",
  summary: "run the Kubernetes controller: publish the cluster's routes, write status back",
  usage: [
    "gatehouse controller [--kubeconfig FILE] [--controller-name NAME] [--public-hostname HOST]",
    "         [--identity ID] [--lease-namespace NS] [--lease-name NAME] [--lease-duration SECONDS]",
    "         [--debounce MS] [--resync SECONDS] [--endpoint-source SOURCE] [--cluster-domain DOMAIN]",
    "         [--transport TRANSPORT] [--log-level LEVEL] [--json]",
    "         [--cloudflare [--account-id ID] [--namespace-id ID] | --local [--persist-to DIR] [--config FILE] [--env NAME]]",
  ].join("\n"),
  help: `Watches the cluster's Ingress and Gateway API objects, publishes the translated route table (only
when it changed and validates), and writes status and events back; runs until SIGTERM or SIGINT.

  --kubeconfig FILE           the cluster; default: in-cluster credentials in a pod, else ~/.kube/config
  --controller-name NAME      the IngressClass/GatewayClass controller it claims (default
                              gatehouse.dev/controller)
  --public-hostname HOST      written to Ingress status.loadBalancer and Gateway status.addresses
  --identity ID               this replica in the Lease (default $POD_NAME, else the host name)
  --lease-namespace NS        the Lease's namespace (default $POD_NAMESPACE, else default)
  --lease-name NAME           the Lease (default gatehouse-controller)
  --lease-duration SECONDS    how long a leader holds the Lease without renewing (default 15)
  --debounce MS               wait after a change before re-translating (default 250)
  --resync SECONDS            full re-translation this often even without changes (default 300)
  --endpoint-source SOURCE    ServiceDNS (default) or EndpointSlices, as for import
  --cluster-domain DOMAIN     the cluster DNS suffix of Service names (default cluster.local)
  --transport TRANSPORT       vpc:BINDING, access:ID_BINDING:SECRET_BINDING or direct, as for import
  --log-level LEVEL           debug, info (default), warn or error; logs are JSON lines on stderr
  --json                      accepted for symmetry: the log is always JSON; a usage or start-up failure
                              is one JSON document on stdout
  --cloudflare                publish through the Cloudflare API with CLOUDFLARE_API_TOKEN from the
                              environment (never a flag, so never in ps)
  --account-id ID             with --cloudflare (else CLOUDFLARE_ACCOUNT_ID)
  --namespace-id ID           with --cloudflare (else GATEHOUSE_KV_NAMESPACE_ID)
  --local                     (default) publish into local state, where gatehouse push --local and
                              wrangler dev meet
  --persist-to DIR            with --local: the directory given to wrangler dev --persist-to
  --config FILE               the wrangler config that names the ROUTES binding
  --env NAME                  its environment
  -h, --help                  this text`,
  async run(args, io) {
    const { positionals, values } = parseCommandLine(args, OPTIONS);
    if (positionals.length > 0)
      throw new CliUsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const v = values as Record<string, string | boolean | undefined>;
    const logLevel = oneOf(v, "log-level", LOG_LEVELS) ?? "info";
    const endpointSource = oneOf(v, "endpoint-source", ENDPOINT_SOURCES);
    const transport = v.transport === undefined ? undefined : parseTransport(v.transport as string);
    const leaseDuration = positiveNumber(v, "lease-duration");
    if (leaseDuration !== undefined && !Number.isInteger(leaseDuration)) {
      throw new CliUsageError("--lease-duration: whole seconds (the Lease field is an integer)");
    }
    const debounceMs = positiveNumber(v, "debounce");
    const resyncSeconds = positiveNumber(v, "resync");

    let opened: OpenedKv;
    if (v.cloudflare) {
      if (v.remote || v.local || v["persist-to"] !== undefined) {
        throw new CliUsageError(
          "--cloudflare publishes through the API: drop --local, --remote and --persist-to",
        );
      }
      const apiToken = process.env.CLOUDFLARE_API_TOKEN;
      const accountId = (v["account-id"] as string | undefined) ?? process.env.CLOUDFLARE_ACCOUNT_ID;
      const namespaceId = (v["namespace-id"] as string | undefined) ?? process.env.GATEHOUSE_KV_NAMESPACE_ID;
      if (!apiToken) throw new CliUsageError("--cloudflare needs CLOUDFLARE_API_TOKEN in the environment");
      if (!accountId) throw new CliUsageError("--cloudflare needs --account-id or CLOUDFLARE_ACCOUNT_ID");
      if (!namespaceId)
        throw new CliUsageError("--cloudflare needs --namespace-id or GATEHOUSE_KV_NAMESPACE_ID");
      const { openCloudflareKv } = await import("../kv-cloudflare.ts");
      opened = openCloudflareKv({
        apiToken,
        accountId,
        namespaceId,
        ...(process.env.CLOUDFLARE_BASE_URL ? { baseURL: process.env.CLOUDFLARE_BASE_URL } : {}),
      });
    } else {
      if (v.remote) {
        throw new CliUsageError(
          "the controller publishes remotely with --cloudflare (an API token), not through wrangler",
        );
      }
      const before = { SIGTERM: process.listeners("SIGTERM"), SIGINT: process.listeners("SIGINT") };
      try {
        opened = await openKvTarget(kvTargetFromFlags(v));
        // Miniflare (local state) hooks SIGTERM and SIGINT to exit at once (code 143/130). The shutdown
        // below closes it in order after the controller has stopped, so those hooks are taken off again;
        // its `exit` hook stays, for a process that ends any other way.
        for (const signal of ["SIGTERM", "SIGINT"] as const) {
          for (const listener of process.listeners(signal)) {
            if (!before[signal].includes(listener)) process.removeListener(signal, listener);
          }
        }
      } catch (err) {
        if (!(err instanceof KvAccessError)) throw err;
        io.stderr(`gatehouse controller: ${err.message}\n`);
        return EXIT_INVALID;
      }
    }

    const [{ Controller }, { jsonLogger }] = await Promise.all([
      import("../../kubernetes/controller/controller.ts"),
      import("../../kubernetes/controller/logger.ts"),
    ]);
    const logger = jsonLogger(logLevel, (line) => io.stderr(line));
    const identity = (v.identity as string | undefined) ?? process.env.POD_NAME ?? hostname();
    const controller = new Controller({
      kubeConfig: await kubeConfigFrom(v.kubeconfig as string | undefined),
      kv: opened.store,
      logger,
      identity,
      controllerName: (v["controller-name"] as string | undefined) ?? DEFAULT_CONTROLLER_NAME,
      ...(v["public-hostname"] ? { publicHostname: v["public-hostname"] as string } : {}),
      translate: {
        ...(endpointSource ? { endpointSource } : {}),
        ...(transport ? { transport } : {}),
        ...(v["cluster-domain"] ? { clusterDomain: v["cluster-domain"] as string } : {}),
      },
      lease: {
        namespace: (v["lease-namespace"] as string | undefined) ?? process.env.POD_NAMESPACE ?? "default",
        name: (v["lease-name"] as string | undefined) ?? "gatehouse-controller",
        ...(leaseDuration ? { durationSeconds: leaseDuration } : {}),
      },
      ...(debounceMs ? { debounceMs } : {}),
      ...(resyncSeconds ? { resyncMs: resyncSeconds * 1000 } : {}),
    });
    logger.log("info", "publishing to", { kv: opened.description });

    const stopping = new Promise<string>((resolve) => {
      process.once("SIGTERM", () => resolve("SIGTERM"));
      process.once("SIGINT", () => resolve("SIGINT"));
    });
    try {
      await Promise.race([controller.start(), stopping]);
      const signal = await stopping;
      logger.log("info", "shutting down", { signal });
      return EXIT_OK;
    } finally {
      await controller.stop();
      await opened.close();
    }
  },
};
