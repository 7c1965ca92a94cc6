import { SIGN_HEADER, SIGN_TIMESTAMP_HEADER, formatBeijingTimestamp, signRequest, signResponse, yggcMd5Sign } from "../../src/contract/index.js";
import { newNonce } from "../../src/lib/ids.js";

/**
 * A supplier's view of the mall API, written from the contract alone: it signs requests with
 * the contract's functions and hands back the raw body, so tests can assert every byte.
 */
export type RawAnswer = { status: number; text: string; body: Record<string, unknown>; headers: Headers };

export type Credentials = { username: string; password: string; appSecret: string; signMode: "hmac-sha256" | "yggc-md5" };

export async function post(url: string, fields: Record<string, unknown>, encoding: "form" | "json" = "form"): Promise<RawAnswer> {
  const init: RequestInit =
    encoding === "json"
      ? { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(fields) }
      : {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams(Object.entries(fields).map(([k, v]): [string, string] => [k, String(v)])).toString(),
        };
  const res = await fetch(url, init);
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { unparsable: text };
  }
  return { status: res.status, text, body, headers: res.headers };
}

export function verifyAnswerSignature(answer: RawAnswer, appSecret: string): boolean {
  const ts = answer.headers.get(SIGN_TIMESTAMP_HEADER);
  const sig = answer.headers.get(SIGN_HEADER);
  return ts !== null && sig !== null && signResponse(appSecret, ts, answer.text) === sig;
}

export class MallCaller {
  token = "";
  constructor(
    readonly baseUrl: string,
    readonly credentials: Credentials,
    readonly now: () => number = Date.now,
    readonly encoding: "form" | "json" = "form",
  ) {}

  tokenFields(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const { username, password, appSecret, signMode } = this.credentials;
    const timestamp = formatBeijingTimestamp(this.now());
    if (signMode === "yggc-md5") {
      return { username, password, timestamp, sign: yggcMd5Sign(username, password, timestamp), ...overrides };
    }
    const fields: Record<string, unknown> = { username, password, timestamp, nonce: newNonce(), ...overrides };
    return { ...fields, sign: signRequest(appSecret, fields) };
  }

  async login(): Promise<RawAnswer> {
    const answer = await post(`${this.baseUrl}/gyssc/token`, this.tokenFields(), this.encoding);
    const result = answer.body.result as { access_token?: string } | undefined;
    if (answer.body.success === true && result?.access_token) this.token = result.access_token;
    return answer;
  }

  /** Business-call fields, signed as §2.2 says; `overrides` are applied before signing. */
  signedFields(fields: Record<string, unknown>, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    if (this.credentials.signMode === "yggc-md5") return { token: this.token, ...fields, ...overrides };
    const all: Record<string, unknown> = {
      token: this.token,
      timestamp: formatBeijingTimestamp(this.now()),
      nonce: newNonce(),
      ...fields,
      ...overrides,
    };
    return { ...all, sign: signRequest(this.credentials.appSecret, all) };
  }

  call(path: string, fields: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}): Promise<RawAnswer> {
    return post(`${this.baseUrl}${path}`, this.signedFields(fields, overrides), this.encoding);
  }
}
