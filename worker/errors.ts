/**
 * The one error type. `code` decides the HTTP status; `message` is what the client may
 * read; `cause` stays on the server (logged by onError, never sent).
 */
export const ERROR_STATUS = {
  invalid_input: 400,
  prompt_injection: 400,
  content_blocked: 400,
  unauthorized: 401,
  subscription_inactive: 402,
  budget_exceeded: 402,
  forbidden: 403,
  consent_required: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  overloaded: 429,
  internal: 500,
  misconfigured: 500,
  provider_unavailable: 503,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

const DEFAULT_MESSAGE: Record<ErrorCode, string> = {
  invalid_input: "The request is invalid.",
  prompt_injection: "The message was refused because it looks like an attempt to manipulate the assistant.",
  content_blocked: "The message was refused by content moderation.",
  unauthorized: "Authentication is required.",
  subscription_inactive: "Your subscription is inactive.",
  budget_exceeded: "Your monthly budget is exhausted.",
  forbidden: "You are not allowed to do this.",
  consent_required: "Processing consent is required to use the chat.",
  not_found: "Not found.",
  method_not_allowed: "Method not allowed.",
  conflict: "Conflict.",
  payload_too_large: "The request body is too large.",
  unsupported_media_type: "The request body must be application/json.",
  rate_limited: "Too many requests.",
  overloaded: "The service is busy. Please try again in a moment.",
  internal: "An internal error occurred.",
  misconfigured: "The service is misconfigured.",
  provider_unavailable: "The AI provider is unavailable. Please try again later.",
  service_unavailable: "A required service is unavailable. Please try again later.",
};

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;
  /** Extra fields safe for the client (e.g. validation issues' paths). */
  readonly details?: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message?: string,
    options: { cause?: unknown; headers?: Record<string, string>; details?: Record<string, unknown> } = {},
  ) {
    super(message ?? DEFAULT_MESSAGE[code], { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.headers = options.headers ?? {};
    this.details = options.details;
  }
}

export function errorBody(code: ErrorCode, message: string, requestId: string, details?: Record<string, unknown>) {
  return { error: { code, message, requestId, ...(details ? { details } : {}) } };
}

export const defaultMessage = (code: ErrorCode) => DEFAULT_MESSAGE[code];
