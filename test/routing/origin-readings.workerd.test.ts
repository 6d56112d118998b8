/**
 * Origin profiles: for each way common origins read paths, a real origin on 127.0.0.1 that resolves
 * paths that way (`test/support/path-profile-origins.ts`) behind the real pipeline in workerd, with a
 * protected `/private` prefix and an open catch-all on the same cluster, as the shipped example has.
 * No request without a token reaches the protected handler, and legitimate requests still pass.
 */
import { describe, expect, inject, it } from "vitest";
import type { RouteTableInput } from "../../src/config/schema.ts";
import { PATH_READING_NAMES } from "../../src/routing/index.ts";
import { mintHmac } from "../auth/tokens.ts";
import { gatewayFetch, gatewayFor } from "../support/gateway.ts";
import type { PathProfile, ProfileAnswer } from "../support/path-profile-origins.ts";

const SECRET = "test-hmac-secret-for-hs256-0123456789";

function profileTable(profile: PathProfile, rest: { pathReadings?: Record<string, boolean> } = {}) {
  const origin = inject("profiles")[profile];
  if (!origin) throw new Error(`no origin for ${profile}`);
  const table: RouteTableInput = {
    version: 1,
    providers: { demo: { secret: { binding: "TEST_HMAC_SECRET" }, algorithms: ["HS256"] } },
    clusters: { app: { endpoints: [{ url: origin }], ...rest } },
    routes: [
      {
        id: "api",
        hostnames: ["api.test"],
        rules: [
          {
            name: "private",
            matches: [{ path: { type: "PathPrefix", value: "/private" } }],
            backendRefs: [{ name: "app" }],
            auth: { provider: "demo" },
          },
        ],
      },
      { id: "fallback", rules: [{ backendRefs: [{ name: "app" }] }] },
    ],
  };
  return gatewayFor(table);
}

/** Per profile, the paths that reach its protected handler when the gateway is not looking. */
const ATTACKS: Record<PathProfile, string[]> = {
  servlet: ["/private;x/data", "/private;jsessionid=1", "/;x/private/data"],
  "case-insensitive": ["/PRIVATE/data", "/Private", "/pRiVaTe/x"],
  iis: ["/private./data", "/private%20/data", "/private.%20./data", "/PRIVATE./x"],
  invisible: ["/pri%09vate", "/private%0A/x", "/pri%E2%80%8Bvate", "/pri%C2%ADvate", "/%EF%BB%BFprivate"],
  "double-decoding": [
    "/%2570rivate",
    "/public/%252E%252E/private",
    "/public%252F..%252Fprivate",
    "/public/%252e%252e%252fprivate",
    "/public/%25C0%25AE%25C0%25AE/private",
  ],
  "lenient-utf8": [
    "/public/%C0%AE%C0%AE/private",
    "/public/%E0%80%AE%E0%80%AE/private",
    "/public%C0%AFprivate",
  ],
};
const EVERY_ATTACK = Object.values(ATTACKS).flat();
const PROFILES = Object.keys(ATTACKS) as PathProfile[];

async function answer(res: Response): Promise<{ status: number; body: ProfileAnswer & { error?: string } }> {
  return { status: res.status, body: (await res.json()) as ProfileAnswer & { error?: string } };
}

describe.each(PROFILES)("behind a %s origin", (profile) => {
  it("no request without a token reaches the protected handler, whatever its path", async () => {
    const gateway = profileTable(profile);
    for (const path of EVERY_ATTACK) {
      const { status, body } = await answer(await gatewayFetch(gateway, `https://api.test${path}`));
      expect([path, status === 200 ? body.handler : body.error]).not.toEqual([path, "private"]);
      expect([path, status]).not.toEqual([path, 500]);
    }
  });

  it("its own attacks are refused before anything is forwarded: ambiguous_path or invalid_path", async () => {
    const gateway = profileTable(profile);
    for (const path of ATTACKS[profile]) {
      const { status, body } = await answer(await gatewayFetch(gateway, `https://api.test${path}`));
      expect([path, status, body.error]).toEqual([
        path,
        400,
        expect.stringMatching(/^(ambiguous|invalid)_path$/),
      ]);
    }
  });

  it("legitimate requests pass: open paths, and the protected one with a token", async () => {
    const gateway = profileTable(profile);
    for (const path of ["/public/x", "/Docs/Guide.PDF", "/a;b/c", "/x/%C3%A9t%C3%A9"]) {
      const { status, body } = await answer(await gatewayFetch(gateway, `https://api.test${path}`));
      expect([path, status, body.handler]).toEqual([path, 200, "public"]);
    }
    const refused = await gatewayFetch(gateway, "https://api.test/private/data");
    expect(refused.status).toBe(401);
    await refused.body?.cancel();
    const token = await mintHmac(SECRET);
    const { status, body } = await answer(
      await gatewayFetch(gateway, "https://api.test/private/data", {
        headers: { authorization: `Bearer ${token}` },
      }),
    );
    expect([status, body.handler]).toEqual([200, "private"]);
  });
});

describe("relaxing the readings by name, for origins that are strict", () => {
  it("forwards what the readings would refuse, and those profiles' origins then do reach the handler", async () => {
    const off = Object.fromEntries(PATH_READING_NAMES.map((name) => [name, false]));
    for (const profile of PROFILES) {
      const gateway = profileTable(profile, { pathReadings: off });
      for (const path of ATTACKS[profile]) {
        const { status, body } = await answer(await gatewayFetch(gateway, `https://api.test${path}`));
        // Invalid UTF-8 is refused whatever the settings: there is no reading to relax for it.
        if (profile === "lenient-utf8")
          expect([path, status, body.error]).toEqual([path, 400, "invalid_path"]);
        else expect([path, status, body.handler]).toEqual([path, 200, "private"]);
      }
    }
  });
});
