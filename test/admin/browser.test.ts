/**
 * The status page in a real headless Chromium (Debian's `chromium`, driven by playwright-core), against
 * the Worker bundle `wrangler deploy` would upload, served by Miniflare on 127.0.0.1:
 *   - local development: the sign-in form, the session cookie's attributes as the browser stored them,
 *     search, and sign-out;
 *   - production: Cloudflare Access in front (the browser carries `Cf-Access-Jwt-Assertion`, as Access
 *     adds it), verified against a JWKS server on 127.0.0.1 with jose-signed tokens.
 * Each path leaves a full-page screenshot in test-results/browser/ (git-ignored), checked for its size
 * and for being more than a blank page.
 *
 * Where Chromium is missing the suite is skipped, and says so loudly: .ci/run installs it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorkerBundle } from "../../scripts/dry-run-build.ts";
import { kvStoreFromNamespace } from "../../src/store/kv-store.ts";
import { publishTable } from "../../src/store/publish.ts";
import { jwks, makeKey, mint, type TestKey } from "../auth/tokens.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  const line = "!".repeat(100);
  console.warn(
    `\n${line}\n!!! SKIPPED: the status page's browser test (test/admin/browser.test.ts).\n` +
      `!!! No Chromium at ${CHROMIUM}. Install Debian's package (apt-get install -y chromium) or set\n` +
      `!!! CHROMIUM_PATH. The sign-in form, Cloudflare Access and the screenshot check did NOT run.\n${line}\n`,
  );
}

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SHOTS = join(root, "test-results", "browser");
const ADMIN_TOKEN = "browser-test-admin-token";
const TEAM = "gatehouse-browser.cloudflareaccess.com";
const AUD = "aud-browser-test-0123456789abcdef";
const VIEWPORT = { width: 1280, height: 900 };
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // Chromium resolves localhost itself; pin it to the address Miniflare listens on.
  "--host-resolver-rules=MAP localhost 127.0.0.1",
];

const table = (originPort: number) => ({
  version: 1,
  clusters: { shop: { endpoints: [{ url: `http://127.0.0.1:${originPort}`, name: "shop-1" }] } },
  routes: [
    {
      id: "shop-api",
      hostnames: ["shop.example.com"],
      serverTiming: true,
      rules: [{ name: "all", backendRefs: [{ name: "shop" }] }],
    },
    {
      id: "legacy-site",
      hostnames: ["old.example.com"],
      rules: [
        {
          filters: [
            { type: "RequestRedirect", requestRedirect: { hostname: "shop.example.com", statusCode: 301 } },
          ],
        },
      ],
    },
    {
      id: "rewritten",
      hostnames: ["v1.example.com"],
      rules: [
        {
          filters: [
            {
              type: "URLRewrite",
              urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/v2" } },
            },
          ],
          backendRefs: [{ name: "shop" }],
        },
      ],
    },
    ...Array.from({ length: 120 }, (_, i) => ({
      id: `bulk-${i}`,
      hostnames: [`bulk-${i}.example.com`],
      rules: [{ backendRefs: [{ name: "shop" }] }],
    })),
  ],
});

/** PNG width and height from the IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const bytes = readFileSync(file);
  expect(bytes.subarray(1, 4).toString("latin1")).toBe("PNG");
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Distinct colours in the screenshot, counted by Chromium itself (a blank page has one or two). */
async function distinctColours(context: BrowserContext, file: string): Promise<number> {
  const page = await context.newPage();
  try {
    const dataUrl = `data:image/png;base64,${readFileSync(file).toString("base64")}`;
    // Runs in the page (a string: this file is type-checked without the DOM's types).
    return await page.evaluate(`(async () => {
      const image = new Image();
      image.src = ${JSON.stringify(dataUrl)};
      await image.decode();
      const canvas = document.createElement("canvas");
      canvas.width = image.width;
      canvas.height = image.height;
      const g = canvas.getContext("2d");
      g.drawImage(image, 0, 0);
      const data = g.getImageData(0, 0, image.width, image.height).data;
      const seen = new Set();
      for (let i = 0; i < data.length; i += 4) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      return seen.size;
    })()`);
  } finally {
    await page.close();
  }
}

async function checkScreenshot(context: BrowserContext, page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const file = join(SHOTS, name);
  await page.screenshot({ path: file, fullPage: true });
  const size = pngSize(file);
  expect(size.width).toBe(VIEWPORT.width);
  expect(size.height).toBeGreaterThanOrEqual(VIEWPORT.height);
  expect(await distinctColours(context, file)).toBeGreaterThan(50);
  return file;
}

describe.skipIf(!hasChromium)("the status page in headless Chromium", () => {
  let work: string;
  let origin: http.Server;
  let certs: http.Server;
  let key: TestKey;
  const workers: Miniflare[] = [];
  const contexts: BrowserContext[] = [];
  let bundle: string;

  async function listen(server: http.Server): Promise<number> {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    return (server.address() as AddressInfo).port;
  }

  /** The bundle in Miniflare with `bindings`, a published table and a little traffic. */
  async function startWorker(bindings: Record<string, string>, originPort: number): Promise<string> {
    const mf = new Miniflare(
      convertV4MiniflareOptions({
        host: "127.0.0.1",
        port: 0,
        modules: true,
        scriptPath: bundle,
        modulesRoot: dirname(bundle),
        compatibilityDate: "2026-11-01",
        compatibilityFlags: ["nodejs_compat"],
        kvNamespaces: ["ROUTES"],
        bindings: { ROUTES_REFRESH_SECONDS: "10", ADMIN_HOSTNAME: "localhost", ...bindings },
        telemetry: { enabled: false },
        logRequests: false,
        cf: { colo: "LHR", country: "GB", httpProtocol: "HTTP/1.1", tlsVersion: "TLSv1.3" },
        // The worker's own lines (access log) are not this test's output.
        handleStructuredLogs: () => {},
      }),
    );
    workers.push(mf);
    const url = await mf.ready;
    const store = kvStoreFromNamespace((await mf.getKVNamespace("ROUTES")) as unknown as KVNamespace);
    const outcome = await publishTable(store, table(originPort), { publishedBy: "browser-test" });
    if (outcome.kind !== "published")
      throw new Error(`table not published: ${JSON.stringify(outcome).slice(0, 1000)}`);
    for (let i = 0; i < 12; i++) {
      const response = await mf.dispatchFetch(`https://shop.example.com/items/${i}`);
      await response.arrayBuffer();
    }
    for (const host of ["old.example.com", "nowhere.example.com"]) {
      const response = await mf.dispatchFetch(`https://${host}/`, { redirect: "manual" });
      await response.arrayBuffer();
    }
    return `http://localhost:${url.port}`;
  }

  async function browser(extraHeaders?: Record<string, string>): Promise<BrowserContext> {
    const { chromium } = await import("playwright-core");
    const context = await chromium.launchPersistentContext(mkdtempSync(join(work, "profile-")), {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: VIEWPORT,
      ...(extraHeaders ? { extraHTTPHeaders: extraHeaders } : {}),
    });
    contexts.push(context);
    return context;
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "gatehouse-browser-"));
    bundle = buildWorkerBundle(join(work, "bundle")).file;
    origin = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
    });
    key = await makeKey("RS256");
    const keySet = JSON.stringify(jwks(key));
    certs = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(keySet);
    });
    await listen(origin);
    await listen(certs);
  }, 120_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    for (const mf of workers) await mf.dispose().catch(() => {});
    origin?.closeAllConnections();
    origin?.close();
    certs?.closeAllConnections();
    certs?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("local development: sign in with the admin token, read the page, search, sign out", async () => {
    const base = await startWorker({ ADMIN_TOKEN }, (origin.address() as AddressInfo).port);
    const context = await browser();
    const page = context.pages()[0] ?? (await context.newPage());

    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe("/sign-in");
    await page.fill("#token", "not-the-token");
    await page.click("input[type=submit]");
    await expect.poll(() => page.textContent("[role=alert]")).toContain("not the admin token");

    await page.fill("#token", ADMIN_TOKEN);
    await Promise.all([page.waitForURL(`${base}/`), page.click("input[type=submit]")]);
    expect(await page.textContent("h1")).toBe("Gatehouse");
    expect(await page.textContent(".who")).toContain("Signed in: admin token (session cookie)");

    const [cookie] = (await context.cookies()).filter((c) => c.name === "gatehouse_admin");
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: "Strict", path: "/" });
    expect(cookie!.expires).toBeGreaterThan(Date.now() / 1000 + 7 * 3600);
    expect(await page.evaluate("document.cookie")).toBe("");

    // Filters, traffic from this isolate's counters, and paging of 123 routes.
    const filters = await page.locator("#routes ul.filters li").allTextContents();
    expect(filters).toEqual(["redirect 301 host=shop.example.com", "rewrite prefix→/v2"]);
    const source = await page.textContent("#traffic-source");
    expect(source).toContain("This isolate's own counters since 20");
    expect(await page.locator("#traffic tbody tr").count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator("#traffic svg.spark rect.req").count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator("#route-count").first().textContent()).toBe("1–50 of 123 routes");
    const shot = await checkScreenshot(context, page, "status-page-sign-in.png");
    console.info(`screenshot: ${shot}`);

    await page.fill("input[name=q]", "legacy");
    await Promise.all([page.waitForURL(/\?q=legacy$/), page.click("form.search input[type=submit]")]);
    expect(await page.locator("#routes tbody tr").count()).toBe(1);
    expect(await page.textContent("#routes tbody tr strong")).toBe("legacy-site");

    await Promise.all([page.waitForURL(`${base}/sign-in`), page.click("text=Sign out")]);
    expect((await context.cookies()).filter((c) => c.name === "gatehouse_admin")).toEqual([]);
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe("/sign-in");
  }, 120_000);

  it("production: Cloudflare Access in front, the JWT verified against the team's keys", async () => {
    const base = await startWorker(
      {
        ADMIN_TOKEN,
        ADMIN_ACCESS_TEAM_DOMAIN: TEAM,
        ADMIN_ACCESS_AUD: AUD,
        ADMIN_ACCESS_CERTS_URL: `http://127.0.0.1:${(certs.address() as AddressInfo).port}/cdn-cgi/access/certs`,
      },
      (origin.address() as AddressInfo).port,
    );
    const token = await mint(key, {
      issuer: `https://${TEAM}`,
      audience: AUD,
      subject: "user-7",
      claims: { email: "oncall@example.com" },
    });

    const outsider = await browser();
    const refused = await (outsider.pages()[0] ?? (await outsider.newPage())).goto(`${base}/`);
    expect(refused!.status()).toBe(401);
    expect(await refused!.text()).toContain("Cloudflare Access");

    const forged = await mint(await makeKey("RS256", key.kid), { issuer: `https://${TEAM}`, audience: AUD });
    const forger = await browser({ "cf-access-jwt-assertion": forged });
    const denied = await (forger.pages()[0] ?? (await forger.newPage())).goto(`${base}/`);
    expect(denied!.status()).toBe(401);

    // What a browser behind Access sends: Access adds the assertion to every request it lets through.
    const context = await browser({ "cf-access-jwt-assertion": token });
    const page = context.pages()[0] ?? (await context.newPage());
    const response = await page.goto(`${base}/`);
    expect(response!.status()).toBe(200);
    expect(await page.textContent(".who")).toContain("oncall@example.com (Cloudflare Access)");
    expect(await page.locator("form[action='/sign-out']").count()).toBe(0);
    expect(await page.locator("#routes ul.filters li").count()).toBe(2);
    const shot = await checkScreenshot(context, page, "status-page-access.png");
    console.info(`screenshot: ${shot}`);
  }, 120_000);
});
