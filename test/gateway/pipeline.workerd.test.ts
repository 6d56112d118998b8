import { describe, expect, it } from "vitest";
import { gatewayFetch, gatewayFor } from "../support/gateway.ts";

describe("pipeline", () => {
  it("answers 404 with a JSON body naming the request id when nothing matches", async () => {
    const gw = gatewayFor({ version: 1, routes: [] });
    const res = await gatewayFetch(gw, "https://nowhere.example/x");
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: string; requestId: string };
    expect(body.error).toBe("route_not_found");
    expect(body.requestId).toBe(res.headers.get("x-request-id"));
  });
});
