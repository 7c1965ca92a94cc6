import { randomBytes } from "node:crypto";
import express from "express";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { creditCodeCheckChar, isValidCreditCode } from "../../src/security/credit-code.js";
import { auditKeysFromConfig } from "../../src/security/audit-keys.js";
import { KeyRingError, createKeyRing } from "../../src/security/key-ring.js";
import { hashPassword, verifyPassword } from "../../src/security/password-hash.js";

describe("统一社会信用代码 (GB 32100)", () => {
  it("accepts codes whose check character matches and rejects a changed one", () => {
    expect(isValidCreditCode("91110000802100433B")).toBe(true);
    expect(isValidCreditCode("91110000802100433C")).toBe(false);
    expect(isValidCreditCode("91110000802100433")).toBe(false);
    expect(isValidCreditCode("9111000080210043IB")).toBe(false);
  });
  it("computes the check character", () => {
    expect(creditCodeCheckChar("91110000802100433")).toBe("B");
  });
});

describe("key ring (AES-256-GCM with key ids)", () => {
  it("decrypts with a previous key after rotation, and refuses tampering", () => {
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    const old = createKeyRing("k1", new Map([["k1", k1]]));
    const sealed = old.encrypt("appSecret-值");
    expect(sealed).not.toContain("appSecret");
    const rotated = createKeyRing(
      "k2",
      new Map([
        ["k1", k1],
        ["k2", k2],
      ]),
    );
    expect(rotated.decrypt(sealed)).toBe("appSecret-值");
    expect(rotated.encrypt("x").split(":")[1]).toBe("k2");
    const parts = sealed.split(":");
    const flipped = [...parts.slice(0, 4), Buffer.from("tampered").toString("base64url")].join(":");
    expect(() => rotated.decrypt(flipped)).toThrow();
    const relabelled = ["v1", "k2", ...parts.slice(2)].join(":");
    expect(() => rotated.decrypt(relabelled)).toThrow(KeyRingError);
  });

  it("refuses a ciphertext whose authentication tag is cut short, as a KeyRingError", () => {
    const ring = createKeyRing("k1", new Map([["k1", randomBytes(32)]]));
    const parts = ring.encrypt("appSecret-值").split(":");
    const tag = Buffer.from(parts[3] ?? "", "base64url");
    expect(tag).toHaveLength(16);
    for (const bytes of [4, 8, 12, 15]) {
      const truncated = [...parts.slice(0, 3), tag.subarray(0, bytes).toString("base64url"), parts[4]].join(":");
      expect(() => ring.decrypt(truncated), `${bytes}-byte tag`).toThrow(KeyRingError);
      expect(() => ring.decrypt(truncated)).toThrow(`authentication tag is ${bytes} bytes, not 16`);
    }
    const padded = [...parts.slice(0, 3), Buffer.concat([tag, Buffer.from([0])]).toString("base64url"), parts[4]].join(":");
    expect(() => ring.decrypt(padded)).toThrow(KeyRingError);
    expect(ring.decrypt(parts.join(":"))).toBe("appSecret-值");
  });
});

describe("password hashes", () => {
  it("verifies the right password only, with a fresh salt each time", async () => {
    const a = await hashPassword("Pa55w0rd");
    const b = await hashPassword("Pa55w0rd");
    expect(a).not.toBe(b);
    expect(await verifyPassword("Pa55w0rd", a)).toBe(true);
    expect(await verifyPassword("pa55w0rd", a)).toBe(false);
  });
});

describe("configuration", () => {
  it("names every bad variable", () => {
    expect(() => loadConfig({ PORT: "http", TOKEN_TTL_SECONDS: "5", ALLOW_PLAIN_HTTP: "yes" })).toThrow(/PORT[\s\S]*TOKEN_TTL_SECONDS[\s\S]*ALLOW_PLAIN_HTTP/);
  });
  it("parses booleans from the exact strings and applies defaults", () => {
    const config = loadConfig({ ALLOW_PLAIN_HTTP: "false" });
    expect(config.ALLOW_PLAIN_HTTP).toBe(false);
    expect(config.TOKEN_TTL_SECONDS).toBe(43_200);
    expect(config.DATABASE_URL).toBe("./data/emall-gateway.db");
  });
  it("requires TLS_CERT and TLS_KEY together", () => {
    expect(() => loadConfig({ TLS_CERT: "cert.pem" })).toThrow(/TLS_CERT, TLS_KEY/);
  });
  it("takes TRUST_PROXY as a hop count or addresses, subnets and named ranges, off when unset, each form one express takes", () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: "false" }).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: "2" }).TRUST_PROXY).toBe(2);
    expect(loadConfig({ TRUST_PROXY: "loopback, 10.0.0.0/8,fd00::/8 ,192.0.2.7" }).TRUST_PROXY).toEqual(["loopback", "10.0.0.0/8", "fd00::/8", "192.0.2.7"]);
    for (const value of [false, 2, ["loopback", "linklocal", "uniquelocal", "10.0.0.0/8", "::1/128", "192.0.2.7"]])
      expect(() => express().set("trust proxy", value)).not.toThrow();
  });
  it("refuses a TRUST_PROXY that trusts everyone or that express would not read, naming it", () => {
    for (const value of ["true", "0", "11", "proxy.local", "10.0.0.0/33", "10.0.0.0/255.0.0.0", "loopback,", "1.2.3"]) {
      expect(() => loadConfig({ TRUST_PROXY: value }), value).toThrow(/^invalid configuration:\n {2}TRUST_PROXY: /);
    }
  });
});

describe("audit keys", () => {
  const ring = createKeyRing(
    "k1",
    new Map([
      ["k1", randomBytes(32)],
      ["k0", randomBytes(32)],
    ]),
  );
  it("validates AUDIT_KEY and AUDIT_KEY_ID at start-up, naming them", () => {
    expect(() => loadConfig({ AUDIT_KEY: "c2hvcnQ=" })).toThrow(/AUDIT_KEY/);
    expect(() => loadConfig({ AUDIT_KEY_ID: "has space" })).toThrow(/AUDIT_KEY_ID/);
    expect(() => auditKeysFromConfig(loadConfig({ AUDIT_PREVIOUS_KEYS: "old:c2hvcnQ=" }), ring)).toThrow(/AUDIT_PREVIOUS_KEYS/);
  });
  it("uses AUDIT_KEY when set, keeps previous keys by id, and otherwise derives one per data key", () => {
    const key = randomBytes(32).toString("base64");
    const old = randomBytes(32).toString("base64");
    const keys = auditKeysFromConfig(loadConfig({ AUDIT_KEY: key, AUDIT_KEY_ID: "a2", AUDIT_PREVIOUS_KEYS: `a1:${old}` }), ring);
    expect(keys.activeKeyId).toBe("a2");
    expect(Buffer.from(keys.keyFor("a1") ?? []).toString("base64")).toBe(old);
    const derived = auditKeysFromConfig(loadConfig({}), ring);
    expect(derived.activeKeyId).toBe("dek.k1");
    expect(derived.keyFor("dek.k0")).toBeDefined();
    expect(Buffer.from(derived.keyFor("dek.k1") ?? []).equals(Buffer.from(ring.deriveKey("audit-chain")))).toBe(true);
  });
});
