import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Config } from "../config/config.js";

/**
 * AES-256-GCM encryption of secrets and personal data at rest. Every ciphertext names the key
 * that sealed it, so the active key can rotate while older rows stay readable.
 */
const FORMAT = "v1";
const IV_BYTES = 12;
/**
 * GCM's full tag. Node would otherwise take any tag from 4 bytes up and check only that many, so a
 * forger who cuts the tag short needs 2^32 tries instead of 2^128.
 */
const TAG_BYTES = 16;

export type KeyRing = {
  readonly activeKeyId: string;
  encrypt(plaintext: string): string;
  decrypt(sealed: string): string;
  /** A sub-key for one purpose (e.g. token signing), derived so no second secret is needed. */
  deriveKey(purpose: string): Uint8Array;
  /** The same sub-key derived from every key of the ring, by key id (verifying what older keys made). */
  deriveKeys(purpose: string): ReadonlyMap<string, Uint8Array>;
};

const derive = (key: Buffer, purpose: string) => new Uint8Array(hkdfSync("sha256", key, Buffer.alloc(0), `emall-gateway:${purpose}`, 32));

export class KeyRingError extends Error {
  override readonly name = "KeyRingError";
}

export function createKeyRing(activeKeyId: string, keys: ReadonlyMap<string, Buffer>): KeyRing {
  const active = keys.get(activeKeyId);
  if (!active || active.length !== 32) throw new KeyRingError(`active key ${activeKeyId} is missing or not 32 bytes`);
  return {
    activeKeyId,
    encrypt(plaintext) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", active, iv);
      // The key id is authenticated too, so a ciphertext cannot be relabelled to another key.
      cipher.setAAD(Buffer.from(activeKeyId, "utf8"));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [FORMAT, activeKeyId, iv.toString("base64url"), tag.toString("base64url"), body.toString("base64url")].join(":");
    },
    decrypt(sealed) {
      const parts = sealed.split(":");
      if (parts.length !== 5 || parts[0] !== FORMAT) throw new KeyRingError("not a sealed value");
      const [, keyId, iv, tag, body] = parts as [string, string, string, string, string];
      const key = keys.get(keyId);
      if (!key) throw new KeyRingError(`no key ${keyId} to decrypt with`);
      const tagBytes = Buffer.from(tag, "base64url");
      if (tagBytes.length !== TAG_BYTES) throw new KeyRingError(`authentication tag is ${tagBytes.length} bytes, not ${TAG_BYTES}`);
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(keyId, "utf8"));
      decipher.setAuthTag(tagBytes);
      try {
        return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
      } catch (e) {
        throw new KeyRingError("sealed value does not authenticate (tampered, or sealed with another key)", { cause: e });
      }
    },
    deriveKey(purpose) {
      return derive(active, purpose);
    },
    deriveKeys(purpose) {
      return new Map([...keys].map(([id, key]) => [id, derive(key, purpose)]));
    },
  };
}

/** The key ring from configuration; outside production a missing key is created in a 0600 file. */
export function keyRingFromConfig(config: Config): KeyRing {
  const keys = new Map<string, Buffer>();
  for (const entry of config.DATA_ENCRYPTION_PREVIOUS_KEYS.split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [id, b64] = entry.split(":");
    const key = Buffer.from(b64 ?? "", "base64");
    if (!id || key.length !== 32) throw new KeyRingError("DATA_ENCRYPTION_PREVIOUS_KEYS: each entry must be id:base64 of 32 bytes");
    keys.set(id, key);
  }
  const active = config.DATA_ENCRYPTION_KEY
    ? Buffer.from(config.DATA_ENCRYPTION_KEY, "base64")
    : readOrCreateKeyFile(config.DATA_ENCRYPTION_KEY_FILE, config.NODE_ENV === "production");
  keys.set(config.DATA_ENCRYPTION_KEY_ID, active);
  return createKeyRing(config.DATA_ENCRYPTION_KEY_ID, keys);
}

function readOrCreateKeyFile(path: string, production: boolean): Buffer {
  if (existsSync(path)) {
    const key = Buffer.from(readFileSync(path, "utf8").trim(), "base64");
    if (key.length !== 32) throw new KeyRingError(`DATA_ENCRYPTION_KEY_FILE ${path}: not 32 bytes of base64`);
    return key;
  }
  if (production) throw new KeyRingError("DATA_ENCRYPTION_KEY (or an existing DATA_ENCRYPTION_KEY_FILE) is required in production");
  mkdirSync(dirname(path), { recursive: true });
  const key = randomBytes(32);
  writeFileSync(path, key.toString("base64") + "\n", { mode: 0o600, flag: "wx" });
  chmodSync(path, 0o600);
  return key;
}
