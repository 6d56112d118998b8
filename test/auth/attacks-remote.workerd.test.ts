/**
 * The attacks of `verify.workerd.test.ts`, against a provider whose keys come from the real JWKS
 * endpoint on 127.0.0.1 (the control server's `/jwks/NAME`), so that each one also proves what it cost:
 * the endpoint counts its fetches, and no attack may make the gateway fetch anything but the one
 * refetch an unknown `kid` is allowed (once per 30 s), let alone a URL the token names.
 *
 * `Date` is frozen for the file: the refetch window can then neither open nor close between tests.
 */
import { exportSPKI } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { describeKeySets } from "../../src/auth/index.ts";
import type { Env } from "../../src/gateway/env.ts";
import { gatewayFor } from "../support/gateway.ts";
import { jwksFetchCount, podRequests, podUrl, putJwks, resetAllPods } from "../support/origins.ts";
import {
  authTable,
  bearer,
  expectInvalidToken,
  expectPass,
  expectRefusal,
  ISSUER,
  ruleAt,
  throughAuth,
  url,
} from "./harness.ts";
import { jwks, makeKey, mint, mintHmac, rawToken, type TestKey } from "./tokens.ts";

const JWKS_NAME = `attacks-remote-${Math.random().toString(36).slice(2, 8)}`;
const EVIL_NAME = `${JWKS_NAME}-evil`;

let rsa: TestKey;
let ec: TestKey;
let stranger: TestKey;
let gateway: ReturnType<typeof gatewayFor>;

const fetches = () => jwksFetchCount(JWKS_NAME);
const nowSec = () => Math.floor(Date.now() / 1000);
const honest = (extra: Parameters<typeof mint>[1] = {}) =>
  mint(rsa, { issuer: ISSUER, audience: "svc-a", subject: "alice", ...extra });

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now());
  [rsa, ec, stranger] = await Promise.all([makeKey("RS256"), makeKey("ES256"), makeKey("RS256")]);
  await resetAllPods();
  const uri = await putJwks(JWKS_NAME, jwks(rsa, ec), { cacheControl: "max-age=3600" });
  gateway = gatewayFor(
    authTable(
      {
        idp: {
          issuer: ISSUER,
          audiences: ["svc-a", "svc-b"],
          remoteJWKS: { uri },
          claimToHeaders: [{ claim: "sub", header: "x-user-id" }],
        },
      },
      [
        ruleAt("/a", { provider: "idp", audiences: ["svc-a"] }),
        ruleAt("/b", { provider: "idp", audiences: ["svc-b"] }),
        ruleAt("/public"),
      ],
    ),
  );
  // The honest path first: one fetch, and the set is ready.
  expectPass(await throughAuth(gateway, url("/a"), bearer(await honest())));
  expect(await fetches()).toBe(1);
});

afterAll(() => {
  vi.useRealTimers();
});

describe("attacks on a remote key set", () => {
  it("an unknown kid costs one refetch, and a flood of them no more", async () => {
    for (let i = 0; i < 10; i++) {
      const forged = await mint(stranger, { issuer: ISSUER, audience: "svc-a", kid: `made-up-${i}` });
      await expectInvalidToken(
        await throughAuth(gateway, url("/a"), bearer(forged)),
        "no matching signing key",
      );
    }
    expect(await fetches()).toBe(2);
  });

  it("alg none, with or without something in the signature slot, never passes", async () => {
    const claims = { iss: ISSUER, aud: "svc-a", sub: "mallory", exp: nowSec() + 300 };
    await expectInvalidToken(
      await throughAuth(gateway, url("/a"), bearer(rawToken({ alg: "none" }, claims))),
      "malformed token",
    );
    for (const alg of ["none", "None", "NONE"]) {
      const token = rawToken({ alg, kid: rsa.kid }, claims, "c2lnbmF0dXJl");
      await expectInvalidToken(
        await throughAuth(gateway, url("/a"), bearer(token)),
        "signing algorithm not allowed",
      );
    }
  });

  it("HS256 signed with the published RSA public key is refused before any key is looked up", async () => {
    const publicKey = await crypto.subtle.importKey(
      "jwk",
      rsa.jwk as JsonWebKey,
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      true,
      ["verify"],
    );
    const spki = new TextEncoder().encode(await exportSPKI(publicKey));
    const jwkText = new TextEncoder().encode(JSON.stringify(rsa.jwk));
    for (const secret of [spki, jwkText]) {
      const token = await mintHmac(secret, "HS256", { issuer: ISSUER, audience: "svc-a", kid: rsa.kid });
      await expectInvalidToken(
        await throughAuth(gateway, url("/a"), bearer(token)),
        "signing algorithm not allowed",
      );
    }
  });

  it("expired, not yet valid and wrong-issuer tokens signed by a published key are refused", async () => {
    await expectInvalidToken(
      await throughAuth(gateway, url("/a"), bearer(await honest({ expiresIn: -60 }))),
      "token expired",
    );
    await expectInvalidToken(
      await throughAuth(gateway, url("/a"), bearer(await honest({ notBefore: nowSec() + 120 }))),
      "token not yet valid",
    );
    await expectInvalidToken(
      await throughAuth(gateway, url("/a"), bearer(await honest({ issuer: "https://evil.test/" }))),
      "issuer not accepted",
    );
  });

  it("a token for service A is refused by service B, before and after it is cached for A", async () => {
    const forA = await honest();
    await expectInvalidToken(await throughAuth(gateway, url("/b"), bearer(forA)), "audience not accepted");
    expectPass(await throughAuth(gateway, url("/a"), bearer(forA)));
    await expectInvalidToken(await throughAuth(gateway, url("/b"), bearer(forA)), "audience not accepted");
  });

  it("malformed segments, a stripped signature and an oversized token are refused", async () => {
    const [h, p, s] = (await honest()).split(".");
    for (const token of [`${h}.${p}.`, `${h}.${p}`, `${h}.${p}.${s}.x`, `${h}!.${p}.${s}`, `.${p}.${s}`]) {
      await expectInvalidToken(await throughAuth(gateway, url("/a"), bearer(token)), "malformed token");
    }
    const notJson = `${btoa("{not json").replace(/=+$/, "")}.${p}.${s}`;
    const refusal = await expectRefusal(await throughAuth(gateway, url("/a"), bearer(notJson)), 401);
    expect(refusal.challenge).toContain('error="invalid_token"');
    const padded = await honest({ claims: { pad: "x".repeat(9000) } });
    await expectInvalidToken(await throughAuth(gateway, url("/a"), bearer(padded)), "token too large");
  });

  it("an unknown crit header parameter is refused", async () => {
    const token = await honest({
      header: { crit: ["urn:example:must-understand"], "urn:example:must-understand": true },
      crit: { "urn:example:must-understand": true },
    });
    await expectInvalidToken(
      await throughAuth(gateway, url("/a"), bearer(token)),
      "unsupported critical header parameter",
    );
  });

  it("jku, x5u and jwk pointing elsewhere are never fetched nor trusted", async () => {
    const evil = await putJwks(EVIL_NAME, jwks(stranger));
    const elsewhere = `${podUrl("pod-b")}/certs.pem`;
    const ownKid = await mint(stranger, {
      issuer: ISSUER,
      audience: "svc-a",
      header: { jku: evil, x5u: elsewhere, jwk: stranger.jwk },
    });
    await expectInvalidToken(
      await throughAuth(gateway, url("/a"), bearer(ownKid)),
      "no matching signing key",
    );
    const trustedKid = await mint(stranger, {
      issuer: ISSUER,
      audience: "svc-a",
      kid: rsa.kid,
      header: { jku: evil, x5u: elsewhere, jwk: { ...stranger.jwk, kid: rsa.kid } },
    });
    await expectInvalidToken(await throughAuth(gateway, url("/a"), bearer(trustedKid)), "invalid signature");
    expect(await jwksFetchCount(EVIL_NAME)).toBe(0);
    expect(await podRequests("pod-b")).toEqual([]);
  });

  it("spoofed identity headers never survive, with a valid token, a refused one, or none", async () => {
    const spoof = { "x-user-id": "admin" };
    const passed = expectPass(await throughAuth(gateway, url("/a"), bearer(await honest(), spoof)));
    expect(passed.draft.headers.get("x-user-id")).toBe("alice");

    const refused = await throughAuth(gateway, url("/a"), bearer(await honest({ audience: "svc-b" }), spoof));
    expect(refused.outcome.ok).toBe(false);
    expect(refused.draft.headers.get("x-user-id")).toBeNull();

    const none = await throughAuth(gateway, url("/a"), { headers: spoof });
    await expectRefusal(none, 401);
    expect(none.draft.headers.get("x-user-id")).toBeNull();

    const open = expectPass(await throughAuth(gateway, url("/public"), { headers: spoof }));
    expect(open.draft.headers.get("x-user-id")).toBeNull();
  });

  it("all of the above cost the key set one refetch in total, and it is still ready", async () => {
    expect(await fetches()).toBe(2);
    expect(describeKeySets(gateway.auth, {} as Env)[0]).toMatchObject({
      kind: "remoteJWKS",
      state: "ready",
      keys: 2,
      algorithms: ["RS256", "ES256"],
    });
    expectPass(
      await throughAuth(gateway, url("/a"), bearer(await mint(ec, { issuer: ISSUER, audience: "svc-a" }))),
    );
  });
});
