import { pino, type Logger, type LoggerOptions } from "pino";

/** S-11 consignee and invoice fields and supplier contacts: redacted at the top level and one level down. */
const PERSONAL_FIELDS = [
  "mobile",
  "phone",
  "email",
  "address",
  "zip",
  "consignee",
  "contactName",
  "contactPhone",
  "invoice_name",
  "invoice_phone",
  "invoice_bank",
  "invoice_bank_code",
  "invoice_address",
  "invoice_mobile",
  "invoice_receipt_address",
];

/** Paths never written to a log: credentials, signatures and personal data (GB/T assurance, §8). */
export const REDACTED_PATHS = [
  "password",
  "appSecret",
  "app_secret",
  "token",
  "access_token",
  "sign",
  "secret",
  "*.password",
  "*.appSecret",
  "*.app_secret",
  "*.token",
  "*.access_token",
  "*.sign",
  "*.secret",
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-sign"]',
  'res.headers["x-sign"]',
  ...PERSONAL_FIELDS,
  ...PERSONAL_FIELDS.map((f) => `*.${f}`),
];

export type { Logger };

export function createLogger(options: { level: string; name?: string; destination?: NodeJS.WritableStream }): Logger {
  const config: LoggerOptions = {
    level: options.level,
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    base: options.name ? { service: options.name } : {},
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(config, options.destination as pino.DestinationStream) : pino(config);
}

/** A logger that drops everything; for tests and embedded simulators that should stay quiet. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
