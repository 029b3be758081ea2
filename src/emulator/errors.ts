/**
 * The emulator's errors and google.rpc status codes, with their HTTP mapping: one table
 * for every transport (gRPC, Google JSON, Compute and Storage REST).
 */

/** An error the emulator returns; each transport renders it in its wire format. */
export class EmulatorError extends Error {
  constructor(
    /** gRPC status code (google.rpc.Code). */
    readonly grpcCode: number,
    message: string,
    /** Compute-style reason (`notFound`, `alreadyExists`, `conditionNotMet`, ...). */
    readonly reason?: string,
    /** Seconds for a Retry-After header (quota errors). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** google.rpc.Code values used by the emulator. */
export const Code = {
  OK: 0,
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
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

const CODE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(Code).map(([k, v]) => [v, k]));

/** The canonical status name for a code, e.g. `NOT_FOUND`. */
export function codeName(code: number): string {
  return CODE_NAMES[code] ?? 'UNKNOWN';
}

/** HTTP status for a gRPC code (google.rpc mapping). */
export function httpStatusOf(code: number): number {
  switch (code) {
    case Code.OK: return 200;
    case Code.INVALID_ARGUMENT: case Code.OUT_OF_RANGE: return 400;
    case Code.FAILED_PRECONDITION: return 400;
    case Code.PERMISSION_DENIED: return 403;
    case Code.NOT_FOUND: return 404;
    case Code.ALREADY_EXISTS: case Code.ABORTED: return 409;
    case Code.RESOURCE_EXHAUSTED: return 429;
    case Code.CANCELLED: return 499;
    case Code.UNIMPLEMENTED: return 501;
    case Code.UNAVAILABLE: return 503;
    case Code.DEADLINE_EXCEEDED: return 504;
    default: return 500;
  }
}

/** gRPC code for an HTTP status or a code given either way (fault injection accepts both). */
export function grpcCodeOf(codeOrStatus: number | string): number {
  if (typeof codeOrStatus === 'string') {
    const byName = (Code as Record<string, number>)[codeOrStatus.toUpperCase()];
    if (byName !== undefined) return byName;
    codeOrStatus = Number(codeOrStatus);
  }
  if (codeOrStatus < 100) return codeOrStatus;
  switch (codeOrStatus) {
    case 400: return Code.INVALID_ARGUMENT;
    case 403: return Code.PERMISSION_DENIED;
    case 404: return Code.NOT_FOUND;
    case 409: return Code.ABORTED;
    case 412: return Code.FAILED_PRECONDITION;
    case 429: return Code.RESOURCE_EXHAUSTED;
    case 503: return Code.UNAVAILABLE;
    case 504: return Code.DEADLINE_EXCEEDED;
    default: return Code.INTERNAL;
  }
}
