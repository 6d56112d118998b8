/**
 * The auth stage inside the whole pipeline (`gatewayFetch`): answers as the client sees them, what the
 * origin pod receives, and what reaches the logs.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { gatewayFetch, gatewayFor } from "../support/gateway.ts";
import { jwksFetchCount, podRequests, putJwks, resetAllPods } from "../support/origins.ts";
import { authTable, HOST, ISSUER, ruleAt } from "./harness.ts";
import { jwks, makeKey, mint, type TestKey } from "./tokens.ts";

let key: TestKey;
let jwksUri: string;

beforeAll(async () => {
  key = await makeKey("RS256");
  jwksUri = await putJwks("pipeline-idp", jwks(key), { cacheControl: "max-age=300" });
  await resetAllPods();
});

afterEach(() => {
  vi.restoreAllMocks();
});

const gateway = () =>
  gatewayFor(
    authTable(
      {
        idp: {
          issuer: ISSUER,
          audiences: ["orders", "billing"],
          remoteJWKS: { uri: jwksUri },
          extractFrom: {
            headers: [{ name: "authorization", valuePrefix: "Bearer " }],
            params: ["access_token"],
          },
          claimToHeaders: [
            { claim: "sub", header: "x-user-id" },
            { claim: "tenant", header: "x-tenant" },
          ],
        },
      },
      [
        ruleAt("/orders", { provider: "idp", audiences: ["orders"], requiredScopes: ["orders:read"] }),
        ruleAt("/billing", { provider: "idp", audiences: ["billing"] }),
        ruleAt("/"),
      ],
    ),
  );

const ordersToken = (claims: Record<string, unknown> = { scope: "orders:read", tenant: "acme" }) =>
  mint(key, { issuer: ISSUER, audience: "orders", subject: "alice", claims });

interface Echo {
  url: string;
  headers: Record<string, string | undefined>;
}

/** The pod's echo of the forwarded request: auth let it through and the origin answered. */
async function echoOf(response: Response): Promise<Echo> {
  expect(response.status).toBe(200);
  return (await response.json()) as Echo;
}

describe("through the pipeline", () => {
  it("401 with a challenge, JSON and the request id when no token is sent", async () => {
    const res = await gatewayFetch(gateway(), `https://${HOST}/orders/1`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(`Bearer realm="${HOST}"`);
    const body = (await res.json()) as { error: string; requestId: string };
    expect(body.error).toBe("unauthorized");
    expect(body.requestId).toBe(res.headers.get("x-request-id"));
  });

  it("401 invalid_token for a token minted for another service", async () => {
    const billing = await mint(key, {
      issuer: ISSUER,
      audience: "billing",
      claims: { scope: "orders:read" },
    });
    const res = await gatewayFetch(gateway(), `https://${HOST}/orders/1`, {
      headers: { authorization: `Bearer ${billing}` },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(
      `Bearer realm="${HOST}", error="invalid_token", error_description="audience not accepted"`,
    );
  });

  it("403 insufficient_scope with the scope", async () => {
    const res = await gatewayFetch(gateway(), `https://${HOST}/orders/1`, {
      headers: { authorization: `Bearer ${await ordersToken({ scope: "orders:list" })}` },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
    expect(res.headers.get("www-authenticate")).toContain('scope="orders:read"');
    expect(((await res.json()) as { error: string }).error).toBe("forbidden");
  });

  it("lets a valid token through; the origin sees the claims, not the spoofed identity", async () => {
    const token = await ordersToken();
    const res = await gatewayFetch(gateway(), `https://${HOST}/orders/1?x=1`, {
      headers: { authorization: `Bearer ${token}`, "x-user-id": "admin", "x-tenant": "evil" },
    });
    const echo = await echoOf(res);
    expect(echo.headers["x-user-id"]).toBe("alice");
    expect(echo.headers["x-tenant"]).toBe("acme");
    expect(echo.headers.authorization).toBe(`Bearer ${token}`);
  });

  it("a query token is accepted and the origin's URL no longer carries it", async () => {
    const token = await ordersToken();
    const res = await gatewayFetch(gateway(), `https://${HOST}/orders/1?access_token=${token}&page=2`);
    const echo = await echoOf(res);
    expect(echo.url).not.toContain("access_token");
    expect(echo.url).toContain("page=2");
  });

  it("a token in the header and another in the query: 400 invalid_request, and nothing reaches the origin", async () => {
    const token = await ordersToken();
    const unverified = await mint(key, { issuer: ISSUER, audience: "billing", subject: "mallory" });
    const before = (await podRequests("pod-a")).length;
    const res = await gatewayFetch(gateway(), `https://${HOST}/orders/1?access_token=${unverified}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_request"');
    const body = (await res.json()) as { error: string; requestId: string };
    expect(body).toMatchObject({ error: "invalid_request", requestId: res.headers.get("x-request-id") });
    expect((await podRequests("pod-a")).length).toBe(before);
  });

  it("a public rule of the same table: spoofed identity headers never reach the origin", async () => {
    const res = await gatewayFetch(gateway(), `https://${HOST}/about`, {
      headers: { "x-user-id": "admin", "x-tenant": "evil" },
    });
    const echo = await echoOf(res);
    expect(echo.headers["x-user-id"]).toBeUndefined();
    expect(echo.headers["x-tenant"]).toBeUndefined();
  });

  it("no token, or any part of one, reaches a log line", async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    };
    vi.spyOn(console, "log").mockImplementation(capture);
    vi.spyOn(console, "warn").mockImplementation(capture);
    vi.spyOn(console, "error").mockImplementation(capture);
    const gw = gateway();
    const good = await ordersToken();
    const expired = await mint(key, { issuer: ISSUER, audience: "orders", expiresIn: -3600 });
    const tampered = `${good.slice(0, -8)}AAAAAAAA`;
    const tokens = [good, expired, tampered];
    for (const token of tokens) {
      await gatewayFetch(gw, `https://${HOST}/orders/1`, { headers: { authorization: `Bearer ${token}` } });
      await gatewayFetch(gw, `https://${HOST}/orders/1?access_token=${token}`);
    }
    expect(lines.length).toBeGreaterThan(0);
    const logged = lines.join("\n");
    for (const token of tokens) {
      for (const part of token.split(".")) expect(logged).not.toContain(part.slice(0, 20));
    }
  });

  it("fetches the JWKS once for all of the above (isolate-wide key set)", async () => {
    expect(await jwksFetchCount("pipeline-idp")).toBe(1);
  });
});
