import { expect, it } from "vitest";

it("runs on the pinned Node 22", () => expect(process.version.startsWith("v22")).toBe(true));
