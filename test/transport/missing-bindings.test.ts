import { describe, expect, it } from "vitest";
import { RouteTableSchema } from "../../src/config/schema.ts";
import type { Env } from "../../src/gateway/env.ts";
import { missingBindings } from "../../src/transport/index.ts";

const table = RouteTableSchema.parse({
  version: 1,
  providers: {
    accounts: { issuer: "https://auth.example.com/", secret: { binding: "ACCOUNTS_JWT_SECRET" } },
    partners: { issuer: "https://partners.example.com/", localJWKS: { keys: [{ kty: "EC" }] } },
  },
  clusters: {
    local: { endpoints: [{ url: "http://127.0.0.1:9001" }] },
    orders: {
      endpoints: [{ url: "http://orders.internal" }],
      transport: { type: "vpc", binding: "ORDERS_VPC" },
    },
    billing: {
      endpoints: [{ url: "https://billing.example.com" }],
      transport: {
        type: "access",
        clientId: { binding: "BILLING_ACCESS_ID" },
        clientSecret: { binding: "BILLING_ACCESS_SECRET" },
      },
    },
  },
  routes: [],
});

const env = (bindings: Record<string, unknown>) => ({ ROUTES: {}, ...bindings }) as unknown as Env;

describe("missingBindings", () => {
  it("lists every binding and secret the table names and the environment lacks, with its path", () => {
    expect(missingBindings(table, env({}))).toEqual([
      {
        path: "clusters.orders.transport.binding",
        binding: "ORDERS_VPC",
        message:
          "no VPC Service binding ORDERS_VPC in the worker's environment (wrangler.toml [[vpc_services]])",
      },
      {
        path: "clusters.billing.transport.clientId.binding",
        binding: "BILLING_ACCESS_ID",
        message:
          "no secret BILLING_ACCESS_ID in the worker's environment (wrangler secret put BILLING_ACCESS_ID)",
      },
      {
        path: "clusters.billing.transport.clientSecret.binding",
        binding: "BILLING_ACCESS_SECRET",
        message:
          "no secret BILLING_ACCESS_SECRET in the worker's environment (wrangler secret put BILLING_ACCESS_SECRET)",
      },
      {
        path: "providers.accounts.secret.binding",
        binding: "ACCOUNTS_JWT_SECRET",
        message:
          "no secret ACCOUNTS_JWT_SECRET in the worker's environment (wrangler secret put ACCOUNTS_JWT_SECRET)",
      },
    ]);
  });

  it("is empty when everything is there", () => {
    const complete = env({
      ORDERS_VPC: { fetch: async () => new Response() },
      BILLING_ACCESS_ID: "id.access",
      BILLING_ACCESS_SECRET: "secret",
      ACCOUNTS_JWT_SECRET: "k".repeat(32),
    });
    expect(missingBindings(table, complete)).toEqual([]);
  });

  it("reports a binding of the wrong kind and an empty secret", () => {
    const wrong = env({
      ORDERS_VPC: "not a binding",
      BILLING_ACCESS_ID: { fetch() {} },
      BILLING_ACCESS_SECRET: "",
      ACCOUNTS_JWT_SECRET: "k",
    });
    expect(missingBindings(table, wrong).map((m) => m.message)).toEqual([
      "binding ORDERS_VPC is not a VPC Service binding (it has no fetch method)",
      "binding BILLING_ACCESS_ID is not a secret (text)",
      "secret BILLING_ACCESS_SECRET is empty",
    ]);
  });
});
