/**
 * The emulator's errors and google.rpc status codes, with their HTTP mapping: one table
 * for every transport (gRPC, Google JSON, Compute and Storage REST).
 */
import { GrpcCode, grpcCodeByName, grpcCodeName } from '../util/grpc-codes';

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

/** google.rpc.Code values (the one table, in `src/util/grpc-codes.ts`). */
export const Code = GrpcCode;

/** The canonical status name for a code, e.g. `NOT_FOUND`. */
export const codeName = grpcCodeName;

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
    const byName = grpcCodeByName(codeOrStatus);
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
