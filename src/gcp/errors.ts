/**
 * One view of errors from every Google client transport. gRPC errors carry gRPC codes;
 * the REST fallback (google-gax 5 / gaxios 7) surfaces HTTP statuses with the raw JSON
 * body as message (gcp-apis.md §6.2). Normalise both so retry and conflict handling
 * key off one vocabulary.
 */

export const GrpcCode = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export interface ApiErrorInfo {
  /** gRPC code (HTTP statuses mapped). */
  code: number;
  /** HTTP status when the error came over REST. */
  httpStatus?: number;
  /** Human message (parsed out of a JSON body when needed). */
  message: string;
  /** Compute-style reason, e.g. `resourceInUseByAnotherResource`. */
  reason?: string;
  /** Seconds from a Retry-After header, when present. */
  retryAfter?: number;
}

function codeFromHttp(status: number, body: any): number {
  const named = body?.error?.status;
  if (typeof named === 'string' && named in GrpcCode) return (GrpcCode as Record<string, number>)[named];
  switch (status) {
    case 400: return GrpcCode.INVALID_ARGUMENT;
    case 401: return GrpcCode.UNAUTHENTICATED;
    case 403: return body?.error?.errors?.[0]?.reason === 'rateLimitExceeded' ? GrpcCode.RESOURCE_EXHAUSTED : GrpcCode.PERMISSION_DENIED;
    case 404: return GrpcCode.NOT_FOUND;
    case 409: return /already exists/i.test(body?.error?.message ?? '') || body?.error?.errors?.[0]?.reason === 'alreadyExists' ? GrpcCode.ALREADY_EXISTS : GrpcCode.ABORTED;
    case 412: return GrpcCode.FAILED_PRECONDITION;
    case 429: return GrpcCode.RESOURCE_EXHAUSTED;
    case 499: return GrpcCode.CANCELLED;
    case 500: return GrpcCode.INTERNAL;
    case 503: return GrpcCode.UNAVAILABLE;
    case 504: return GrpcCode.DEADLINE_EXCEEDED;
    default: return GrpcCode.UNKNOWN;
  }
}

function parseJson(text: unknown): any {
  if (typeof text !== 'string') return typeof text === 'object' ? text : undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Normalise any client error. Non-API errors map to UNKNOWN with their message. */
export function apiError(err: unknown): ApiErrorInfo {
  const e = err as any;
  if (!e || typeof e !== 'object') return { code: GrpcCode.UNKNOWN, message: String(err) };
  const status: number | undefined = typeof e.response?.status === 'number' ? e.response.status : typeof e.status === 'number' ? e.status : undefined;
  const retryAfterHeader = e.response?.headers?.['retry-after'] ?? e.response?.headers?.get?.('retry-after') ?? e.metadata?.get?.('retry-after')?.[0];
  const retryAfter = retryAfterHeader !== undefined && !Number.isNaN(Number(retryAfterHeader)) ? Number(retryAfterHeader) : undefined;
  // REST (gaxios): HTTP status, message may be the raw JSON body.
  if (status !== undefined && (e.response || e.config)) {
    const body = parseJson(e.response?.data) ?? parseJson(e.message);
    return {
      code: codeFromHttp(status, body),
      httpStatus: status,
      message: body?.error?.message ?? e.message ?? `HTTP ${status}`,
      reason: body?.error?.errors?.[0]?.reason,
      retryAfter,
    };
  }
  if (typeof e.code === 'number') {
    // gax REST fallback in some versions puts the HTTP status in `code`.
    if (e.code >= 100) {
      const body = parseJson(e.message);
      return { code: codeFromHttp(e.code, body), httpStatus: e.code, message: body?.error?.message ?? e.details ?? e.message, reason: body?.error?.errors?.[0]?.reason, retryAfter };
    }
    return { code: e.code, message: e.details || e.message || String(err), reason: e.reason, retryAfter };
  }
  return { code: GrpcCode.UNKNOWN, message: e.message ?? String(err) };
}

export const isNotFound = (err: unknown) => apiError(err).code === GrpcCode.NOT_FOUND;
export const isAlreadyExists = (err: unknown) => apiError(err).code === GrpcCode.ALREADY_EXISTS;

/** A stale etag/fingerprint: ABORTED (AIP-154), FAILED_PRECONDITION or HTTP 412. */
export function isConflict(err: unknown): boolean {
  const info = apiError(err);
  if (info.httpStatus === 412) return true;
  if (info.code === GrpcCode.ABORTED) return true;
  return info.code === GrpcCode.FAILED_PRECONDITION && /etag|fingerprint|precondition|concurrent/i.test(info.message);
}

/** Errors worth retrying with backoff. */
export function isTransient(err: unknown): boolean {
  const { code, httpStatus } = apiError(err);
  if (httpStatus === 429 || httpStatus === 503 || httpStatus === 504 || httpStatus === 502) return true;
  if (code === GrpcCode.UNAVAILABLE || code === GrpcCode.RESOURCE_EXHAUSTED || code === GrpcCode.DEADLINE_EXCEEDED) return true;
  const sysCode = (err as any)?.code;
  return typeof sysCode === 'string' && ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN'].includes(sysCode);
}
