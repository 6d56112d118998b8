/**
 * One published table, compiled once into everything the request path needs. Built when a version is
 * loaded, never per request.
 */

import { type CompiledAuth, compileAuth } from "../auth/index.ts";
import type { RouteTable } from "../config/schema.ts";
import { compileRulePolicies, type RulePolicyPlan } from "../policy/rule-policy.ts";
import { type CompiledRouteTable, compileRouteTable } from "../routing/index.ts";
import { type CompiledClusters, compileClusters } from "../upstream/index.ts";
import { spoofableHeaders } from "./strip-headers.ts";

export interface TableMeta {
  version: number;
  hash: string;
  publishedAt?: string;
  publishedBy?: string;
  loadedAt?: string;
}

export interface GatewayConfig {
  readonly table: RouteTable;
  readonly meta: TableMeta;
  readonly routing: CompiledRouteTable;
  readonly auth: CompiledAuth;
  readonly clusters: CompiledClusters;
  /** Each rule's traffic policy (address rules, size limits, rate limits), `[routeIndex][ruleIndex]`. */
  readonly policies: readonly (readonly RulePolicyPlan[])[];
  /** Removed from every incoming request before any stage runs. */
  readonly spoofableHeaders: readonly string[];
}

export function compileGateway(table: RouteTable, meta: TableMeta): GatewayConfig {
  return {
    table,
    meta,
    routing: compileRouteTable(table),
    auth: compileAuth(table),
    clusters: compileClusters(table),
    policies: compileRulePolicies(table),
    spoofableHeaders: spoofableHeaders(table),
  };
}
