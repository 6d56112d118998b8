/**
 * A Hono router for an app whose only route is `app.all("*", …)`: every request gets that handler, so
 * `match` returns one prepared answer instead of testing a pattern per request (Hono's PatternRouter
 * ran a regular expression on every path: ~2 % of the isolate's time in the end-to-end bench profile).
 * The gateway's routing is its own (src/routing); Hono only hands the request over.
 */
import type { Result, Router } from "hono/router";

export class CatchAllRouter<T> implements Router<T> {
  readonly name = "CatchAllRouter";
  #result: Result<T> = [[]];

  add(method: string, path: string, handler: T): void {
    if (method !== "ALL" || (path !== "*" && path !== "/*") || this.#result[0].length > 0) {
      throw new Error(`CatchAllRouter takes one app.all("*") route, not ${method} ${path}`);
    }
    this.#result = [[[handler, {}]]];
  }

  match(_method: string, _path: string): Result<T> {
    return this.#result;
  }
}
