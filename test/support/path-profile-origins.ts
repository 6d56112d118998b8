/**
 * Test origins that resolve request paths the way common origin frameworks do, each written from that
 * framework's behaviour (not from the gateway's readings, which they exist to check):
 *
 *   servlet            Tomcat, Jetty, Spring: `;parameters` dropped from each segment, then decoded
 *   case-insensitive   Express (default), ASP.NET: routes compared without case
 *   iis                IIS: trailing dots and spaces dropped from segments, no case
 *   invisible          decoders that drop tab, CR, LF and invisible format characters
 *   double-decoding    a layer decodes, then the application decodes again (leniently)
 *   lenient-utf8       a decoder that reads overlong UTF-8 forms (`%C0%AE` as `.`)
 *
 * Each has two handlers: `private` for paths under `/private` as that origin resolves them, `public`
 * for everything else; the answer names the handler and the resolved path. Started by the global
 * setup on 127.0.0.1.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export const PATH_PROFILES = [
  "servlet",
  "case-insensitive",
  "iis",
  "invisible",
  "double-decoding",
  "lenient-utf8",
] as const;
export type PathProfile = (typeof PATH_PROFILES)[number];

/** What a profile origin answers. */
export interface ProfileAnswer {
  profile: PathProfile;
  handler: "private" | "public";
  resolved: string;
}

/** Percent-decoding byte by byte; `lenient` reads overlong UTF-8 forms of ASCII as the character. */
function decode(path: string, lenient: boolean): string {
  const bytes: number[] = [];
  for (let i = 0; i < path.length; i++) {
    if (path[i] === "%" && /^[0-9A-Fa-f]{2}$/.test(path.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(path.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(path[i]!, "utf8"));
    }
  }
  if (!lenient) return Buffer.from(bytes).toString("utf8");
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if ((b === 0xc0 || b === 0xc1) && i + 1 < bytes.length) {
      out += String.fromCharCode(((b & 0x1f) << 6) | (bytes[i + 1]! & 0x3f));
      i += 1;
    } else if (b === 0xe0 && i + 2 < bytes.length && bytes[i + 1]! < 0xa0) {
      out += String.fromCharCode(((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f));
      i += 2;
    } else {
      let end = i + 1;
      while (end < bytes.length && bytes[end]! >= 0x80 && bytes[end]! < 0xc0) end++;
      out += Buffer.from(bytes.slice(i, end)).toString("utf8");
      i = end - 1;
    }
  }
  return out;
}

/** Dot segments resolved and empty segments dropped, as file-system-backed servers do. */
function segmentsOf(path: string): string[] {
  const out: string[] = [];
  for (const segment of path.split(/[/\\]/)) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") out.pop();
    else out.push(segment);
  }
  return out;
}

// An alternation, not one character class: a class holding combining marks (U+034F, variation
// selectors) reads as characters joined to their neighbours.
const INVISIBLE =
  /\t|\r|\n|\u00AD|\u034F|\u061C|\u115F|\u1160|\u17B4|\u17B5|[\u180B-\u180F]|[\u200B-\u200F]|[\u202A-\u202E]|[\u2060-\u206F]|\u3164|[\uFE00-\uFE0F]|\uFEFF|\uFFA0/g;

/** The path as the profile's framework resolves it, and whether it compares without case. */
export function resolvePath(profile: PathProfile, rawPath: string): { segments: string[]; noCase: boolean } {
  switch (profile) {
    case "servlet":
      return { segments: segmentsOf(decode(rawPath.replace(/;[^/]*/g, ""), false)), noCase: false };
    case "case-insensitive":
      return { segments: segmentsOf(decode(rawPath, false)), noCase: true };
    case "iis":
      return {
        segments: segmentsOf(decode(rawPath, false))
          .map((segment) => segment.replace(/[. ]+$/, ""))
          .filter(Boolean),
        noCase: true,
      };
    case "invisible":
      return { segments: segmentsOf(decode(rawPath, false).replace(INVISIBLE, "")), noCase: false };
    case "double-decoding":
      return { segments: segmentsOf(decode(decode(rawPath, true), true)), noCase: false };
    case "lenient-utf8":
      return { segments: segmentsOf(decode(rawPath, true)), noCase: false };
  }
}

export interface ProfileOrigin {
  readonly url: string;
  close(): Promise<void>;
}

export async function startProfileOrigin(profile: PathProfile): Promise<ProfileOrigin> {
  const server = http.createServer((req, res) => {
    const rawPath = (req.url ?? "/").split("?")[0]!;
    const { segments, noCase } = resolvePath(profile, rawPath);
    const first = segments[0] ?? "";
    const isPrivate = (noCase ? first.toLowerCase() : first) === "private";
    const answer: ProfileAnswer = {
      profile,
      handler: isPrivate ? "private" : "public",
      resolved: `/${segments.join("/")}`,
    };
    req.resume();
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
