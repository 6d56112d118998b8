/**
 * Whether the data path (src/upstream) forwards yet. Until it lands, its stub answers 501 and the tests
 * that need an origin to see the request skip themselves (reported as skipped, never as passed).
 */

import { gatewayFetch, gatewayFor } from "../support/gateway.ts";
import { podUrl } from "../support/origins.ts";

export async function dataPathForwards(): Promise<boolean> {
  const gw = gatewayFor({
    version: 1,
    clusters: { probe: { endpoints: [{ url: podUrl("pod-d") }] } },
    routes: [{ id: "probe", rules: [{ backendRefs: [{ name: "probe" }] }] }],
  });
  const res = await gatewayFetch(gw, "https://probe.test/");
  await res.body?.cancel();
  return res.status !== 501;
}

/** The JSON body the pods echo: what the origin received. */
export interface PodEcho {
  pod: string;
  method: string;
  url: string;
  headers: Record<string, string | undefined>;
}
