import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/**
 * Two projects:
 * - `core`: the pure routing core, config and CLI, in Node (they share no Workers globals);
 * - `workerd`: everything named `*.workerd.test.ts`, inside workerd through Miniflare, against real
 *   origin pods, a control server and a JWKS endpoint on 127.0.0.1 started by the global setup.
 */
export default defineConfig({
  test: {
    reporters: ["default", "./test/support/summary-reporter.ts"],
    // Every request the workerd suites make writes an access line: thousands of them would bury the
    // output. Dropped here, after any spy has seen them (test/gateway/access-log.workerd.test.ts proves
    // the line's content); every other line a worker prints still shows.
    onConsoleLog: (log) => (log.startsWith('{"type":"access"') ? false : undefined),
    projects: [
      {
        test: {
          name: "core",
          environment: "node",
          include: ["test/**/*.test.ts"],
          exclude: ["test/**/*.workerd.test.ts", "node_modules/**"],
          testTimeout: 30_000,
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ROUTES_REFRESH_SECONDS: "1",
                ADMIN_HOSTNAME: "admin.gatehouse.test",
                ADMIN_TOKEN: "test-admin-token",
                SESSION_SECRET: "test-session-secret-0123456789abcdef",
                TEST_HMAC_SECRET: "test-hmac-secret-for-hs256-0123456789",
                // Access service token for the transport tests (test/transport).
                TEST_ACCESS_CLIENT_ID: "test-client.access",
                TEST_ACCESS_CLIENT_SECRET: "test-access-client-secret",
              },
              // Stand-in for a Workers VPC Service binding (no local simulator exists): a real service
              // binding whose far side, in Node, answers with what it was called with.
              serviceBindings: {
                TEST_VPC_SERVICE: async (request: Request) =>
                  Response.json({
                    method: request.method,
                    url: request.url,
                    headers: Object.fromEntries(request.headers),
                    body: await request.text(),
                  }),
              },
            },
          }),
        ],
        test: {
          name: "workerd",
          include: ["test/**/*.workerd.test.ts"],
          globalSetup: ["test/support/global-setup.ts"],
          // The pods are shared: files run one after another so one file's faults never leak into another's.
          fileParallelism: false,
          testTimeout: 30_000,
        },
      },
    ],
  },
});
