/**
 * The e2e bench's reference: a gateway written the way Hono's docs show it, for comparison with
 * Gatehouse in the same run (bench/e2e.bench.ts). `hono/proxy`'s `proxy()` forwards to the origin
 * (https://hono.dev/docs/helpers/proxy); `/protected/*` is behind the `hono/jwk` middleware verifying
 * RS256 against the same key set Gatehouse's table holds (https://hono.dev/docs/middleware/builtin/jwk),
 * with the same issuer and audience. Nothing else: no access log, no timeout, no header hygiene, no
 * token cache (Hono's middleware verifies every request's signature).
 *
 * Bindings: ORIGIN (`http://127.0.0.1:port`), JWKS (the key set, JSON), ISSUER, AUDIENCE.
 */
import { Hono } from "hono";
import { jwk } from "hono/jwk";
import { proxy } from "hono/proxy";

interface Bindings {
  ORIGIN: string;
  JWKS: string;
  ISSUER: string;
  AUDIENCE: string;
}

const app = new Hono<{ Bindings: Bindings }>();

// The key set parsed once per isolate; the middleware built per request from `c.env`, as Hono's docs
// show for options that come from bindings.
let keys: unknown[] | undefined;
function keySet(json: string): unknown[] {
  keys ??= (JSON.parse(json) as { keys: unknown[] }).keys;
  return keys;
}
app.use("/protected/*", (c, next) =>
  jwk({
    keys: () => keySet(c.env.JWKS) as never,
    alg: ["RS256"],
    verification: { iss: c.env.ISSUER, aud: c.env.AUDIENCE },
  })(c, next),
);

app.all("*", (c) => {
  const url = new URL(c.req.url);
  return proxy(`${c.env.ORIGIN}${url.pathname}${url.search}`, {
    ...c.req,
    headers: { ...c.req.header(), host: new URL(c.env.ORIGIN).host },
  });
});

export default app;
