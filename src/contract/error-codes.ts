/**
 * Error-code table of the docking standard (seed §6.2). The descriptions are the seed's own text;
 * a response's `desc` starts from them and may add what the caller sent.
 */
export const ErrorCode = {
  TimestampInvalid: 5001,
  UsernameUnknown: 5002,
  PasswordWrong: 5003,
  SignatureInvalid: 5004,
  TokenExpired: 5005,
  RequiredFieldMissing: 5006,
  CatalogNotFound: 5007,
  CatalogIdMissing: 5008,
  CatalogVersionStale: 5010,
  CatalogParamsNotFound: 5011,
  CatalogParamsUnavailable: 5012,
  PlatformCodeInvalid: 5013,
  ProductUrlInvalid: 5014,
  FileFormatInvalid: 5015,
  Other: 5099,
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const errorDescriptions: Readonly<Record<ErrorCode, string>> = {
  5001: "时间戳格式错误",
  5002: "用户名不存在",
  5003: "用户名或密码错误",
  5004: "签名错误，请检查后重试",
  5005: "token 过期",
  5006: "必填参数为空",
  5007: "品目信息不存在",
  5008: "请传入品目 id 或 interfaceCode",
  5010: "品目数据已更新，请重新获取品目！",
  5011: "未查询到品目参数",
  5012: "获取品目参数项数据失败",
  5013: "platformCode 无效",
  5014: "商品链接不合法",
  5015: "图片/文档格式错误",
  5099: "其它",
};

/** §6.2 remark on 5005: every expired-token answer carries this marker so clients know to log in again. */
export const TOKEN_EXPIRED_MARKER = "token_expired";

export const allErrorCodes: readonly ErrorCode[] = Object.values(ErrorCode);

export function isErrorCode(value: number): value is ErrorCode {
  return (allErrorCodes as readonly number[]).includes(value);
}
