/**
 * A `Host` asked for that no request will carry. A Worker's `fetch` takes the Host from the URL, so a
 * `direct` cluster's origins see the endpoint URL's host whatever the table says, and an `access`
 * cluster sends the Access hostname the tunnel routes on (src/transport). Only `vpc` sends another Host
 * (it moves it into the URL). A cluster `hostname`, or a rule's `URLRewrite.hostname` whose backends are
 * all such clusters, would be silently ignored: warned, not refused, because the table still works.
 */
import type { FieldPath, ProblemReport } from "./problems.ts";
import type { Cluster } from "./schema.ts";
import type { Salvaged, TableView } from "./table-view.ts";

/** Why a transport does not send a Host of the table's choosing: shared with `gatehouse explain`. */
export const UNSENT_HOST_REASON: Record<"direct" | "access", string> = {
  direct:
    "a direct transport sends the endpoint URL's host (a Worker's fetch takes Host from the URL); put the host in the endpoint URL, or use a vpc transport",
  access:
    "an access transport sends the Access hostname, which the tunnel routes on; set the origin's Host with cloudflared's httpHostHeader",
};

export function checkUnsentHostnames(view: TableView, report: ProblemReport): void {
  for (const [name, cluster] of view.clusters) {
    const type = hostDroppingTransport(cluster);
    if (type && cluster?.hostname !== undefined) {
      report.warn(["clusters", name, "hostname"], `is never sent: ${UNSENT_HOST_REASON[type]}`);
    }
  }
  for (const route of view.routes) {
    route.rules.forEach((rule, r) => {
      const backends = (rule?.backendRefs ?? []).flatMap((ref) => (ref?.name ? [ref.name] : []));
      if (backends.length === 0) return;
      const types = backends.map((name) => hostDroppingTransport(view.clusters.get(name)));
      const first = types[0];
      if (!first || types.some((t) => t !== first)) return;
      rule?.filters?.forEach((filter, f) => {
        if (filter?.type !== "URLRewrite" || filter.urlRewrite?.hostname === undefined) return;
        const at: FieldPath = ["routes", route.index, "rules", r, "filters", f, "urlRewrite", "hostname"];
        report.warn(at, `is never sent: every backend of the rule is ${first}: ${UNSENT_HOST_REASON[first]}`);
      });
    });
  }
}

/** `direct` or `access` for a cluster that sends no Host of the table's choosing; else undefined. */
function hostDroppingTransport(cluster: Salvaged<Cluster> | undefined): "direct" | "access" | undefined {
  if (!cluster) return undefined;
  const type = cluster.transport?.type ?? "direct";
  return type === "direct" || type === "access" ? type : undefined;
}
