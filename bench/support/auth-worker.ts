/**
 * The auth benchmark inside workerd: the same passes as in Node (`auth-cases.ts`), driven over HTTP
 * by `bench/auth.bench.ts`, which times each call from outside (workerd's clocks do not advance while
 * a request computes) and subtracts an empty call.
 *
 *   GET /prepare?alg=RS256&cold=N       keys, table and N cold tokens for that algorithm
 *   GET /run?alg=RS256&mode=warm&n=N&offset=K   N passes; cold ones use tokens K… (never reused)
 */
import { type AuthCase, type BenchAlgorithm, type Mode, prepareAuthCase, runPasses } from "./auth-cases.ts";

const cases = new Map<string, AuthCase>();

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const alg = url.searchParams.get("alg") as BenchAlgorithm;
    if (url.pathname === "/prepare") {
      cases.set(alg, await prepareAuthCase(alg, Number(url.searchParams.get("cold") ?? 0)));
      return new Response("ok");
    }
    if (url.pathname === "/run") {
      const n = Number(url.searchParams.get("n") ?? 0);
      const c = cases.get(alg);
      if (n > 0 && c === undefined) return new Response(`no case ${alg}`, { status: 400 });
      if (n > 0) {
        const mode = url.searchParams.get("mode") as Mode;
        await runPasses(c!, mode, n, Number(url.searchParams.get("offset") ?? 0));
      }
      return new Response("ok");
    }
    return new Response("not found", { status: 404 });
  },
};
