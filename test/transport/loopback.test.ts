import { describe, expect, it } from "vitest";
import { isLoopbackHost, isPlainHttpOffMachine } from "../../src/transport/loopback.ts";

describe("loopback", () => {
  it.each(["localhost", "LOCALHOST", "localhost.", "app.localhost", "127.0.0.1", "127.1.2.3", "[::1]"])(
    "%s is loopback",
    (host) => expect(isLoopbackHost(host)).toBe(true),
  );

  it.each(["10.0.0.5", "orders.internal", "localhost.example.com", "128.0.0.1", "[::2]", "127.0.0.1.nip.io"])(
    "%s is not",
    (host) => expect(isLoopbackHost(host)).toBe(false),
  );

  it("flags plain HTTP off the machine only", () => {
    expect(isPlainHttpOffMachine(new URL("http://10.0.0.5:9001"))).toBe(true);
    expect(isPlainHttpOffMachine(new URL("http://127.0.0.1:9001"))).toBe(false);
    expect(isPlainHttpOffMachine(new URL("https://10.0.0.5"))).toBe(false);
  });
});
