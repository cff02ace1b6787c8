import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  allowedHosts,
  checkHost,
  checkMutation,
  type GuardSettings,
  isLoopback,
  isWildcard,
  tokenMatches,
  urlHost,
} from "../../src/dashboard/guard.ts";

const settings: GuardSettings = { port: 8080, token: "t".repeat(32) };
const allowed = allowedHosts(settings);
const good = {
  method: "POST",
  host: "127.0.0.1:8080",
  contentType: "application/json",
  origin: "http://127.0.0.1:8080",
  token: "t".repeat(32),
};

describe("the dashboard's guard", () => {
  it("answers only to loopback names with its own port", () => {
    for (const host of ["localhost:8080", "127.0.0.1:8080", "[::1]:8080", "LOCALHOST:8080"]) assert.ok(checkHost(host, allowed).ok, host);
    for (const host of [
      undefined,
      "",
      "evil.example:8080",
      "127.0.0.1:8081",
      "127.0.0.1",
      "localhost",
      "127.0.0.2:8080",
      "localhost.evil.example:8080",
      "[::1]",
    ])
      assert.equal(checkHost(host, allowed).ok, false, String(host));
  });

  it("adds the bound name beyond loopback, never a wildcard, and the bare names on port 80", () => {
    assert.ok(allowedHosts({ ...settings, publicHost: "10.0.0.5" }).has("10.0.0.5:8080"));
    assert.ok(allowedHosts({ ...settings, publicHost: "fd00::5" }).has("[fd00::5]:8080"));
    assert.equal(allowedHosts({ ...settings, publicHost: "0.0.0.0" }).size, 3);
    assert.equal(allowedHosts({ ...settings, publicHost: "127.0.0.1" }).size, 3);
    assert.ok(allowedHosts({ ...settings, publicHost: "127.0.0.2" }).has("127.0.0.2:8080"), "another loopback address it listens on");
    assert.ok(isWildcard("0.0.0.0") && isWildcard("::") && !isWildcard("127.0.0.1"));
    const port80 = allowedHosts({ ...settings, port: 80 });
    assert.ok(port80.has("localhost") && port80.has("localhost:80"));
    assert.equal(allowed.has("localhost"), false);
  });

  it("lets a change through only as JSON, from this origin when one is named, with the token", () => {
    assert.ok(checkMutation(good, settings).ok);
    assert.ok(checkMutation({ ...good, origin: undefined }, settings).ok, "a client that sends no Origin (curl) is fine");
    assert.ok(checkMutation({ ...good, contentType: "application/json; charset=utf-8" }, settings).ok);
    const refused = [
      { ...good, contentType: "text/plain" },
      { ...good, contentType: "application/x-www-form-urlencoded" },
      { ...good, contentType: "multipart/form-data; boundary=x" },
      { ...good, contentType: undefined },
      { ...good, contentType: "application/jsonp" },
      { ...good, origin: "http://evil.example" },
      { ...good, origin: "null" },
      { ...good, origin: "https://127.0.0.1:8080" },
      { ...good, origin: "http://127.0.0.1:8080/x" },
      { ...good, token: undefined },
      { ...good, token: "" },
      { ...good, token: "t".repeat(31) },
      { ...good, token: `${"t".repeat(31)}u` },
    ];
    for (const request of refused) {
      const verdict = checkMutation(request, settings);
      assert.equal(verdict.ok, false, JSON.stringify(request));
      assert.equal(!verdict.ok && verdict.status, 403);
    }
  });

  it("says why it refused", () => {
    const host = checkHost("evil.example:8080", allowed);
    assert.equal(
      !host.ok && host.reason,
      'Host "evil.example:8080" is not this dashboard (only localhost:8080, 127.0.0.1:8080, [::1]:8080)',
    );
    const none = checkHost(undefined, allowed);
    assert.match(!none.ok ? none.reason : "", /^Host "" is not/);
    const reasons = [
      [{ ...good, contentType: "text/plain" }, "a request that changes state must be application/json"],
      [{ ...good, origin: "http://evil.example" }, 'Origin "http://evil.example" is not this dashboard'],
      [{ ...good, token: "x" }, "the dashboard token is missing or wrong (open the URL br dashboard printed)"],
    ] as const;
    for (const [request, reason] of reasons) {
      const verdict = checkMutation(request, settings);
      assert.equal(!verdict.ok && verdict.reason, reason);
    }
  });

  it("reads media types and origins as browsers write them", () => {
    assert.ok(checkMutation({ ...good, contentType: " Application/JSON ;charset=utf-8" }, settings).ok);
    assert.ok(checkMutation({ ...good, host: "localhost:8080", origin: "http://LOCALHOST:8080" }, settings).ok);
    assert.equal(checkMutation({ ...good, host: "localhost:8080" }, settings).ok, false, "the Origin must be the page's own");
    assert.equal(checkMutation({ ...good, origin: "xhttp://127.0.0.1:8080" }, settings).ok, false);
    assert.equal(checkMutation({ ...good, origin: "http://127.0.0.1:8080.evil.example" }, settings).ok, false);
  });

  it("never matches an empty token, and tells loopback addresses apart", () => {
    assert.equal(tokenMatches("", ""), false);
    assert.equal(tokenMatches(undefined, "abc"), false);
    assert.ok(tokenMatches("abc", "abc"));
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"]) assert.ok(isLoopback(host), host);
    assert.ok(isLoopback("127.0.0.10"));
    for (const host of [
      "0.0.0.0",
      "10.0.0.1",
      "128.0.0.1",
      "localhost.example",
      "::",
      "127.0.0.1.evil.example",
      "x127.0.0.1",
      "127.0.0.1000",
    ])
      assert.equal(isLoopback(host), false, host);
    assert.equal(urlHost("::1"), "[::1]");
    assert.equal(urlHost("[::1]"), "[::1]");
    assert.equal(urlHost("127.0.0.1"), "127.0.0.1");
  });
});
