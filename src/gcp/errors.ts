/**
 * One view of errors from every Google client transport. gRPC errors carry gRPC codes;
 * the REST fallback (google-gax 5 / gaxios 7) surfaces HTTP statuses with the raw JSON
 * body as message (gcp-apis.md §6.2). Normalise both so retry and conflict handling
 * key off one vocabulary.
 */

import { GrpcCode, grpcCodeByName } from '../util/grpc-codes';

export { GrpcCode };

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
  const byName = typeof named === 'string' && named === named.toUpperCase() ? grpcCodeByName(named) : undefined;
  if (byName !== undefined) return byName;
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

/**
 * gax's own retries end in "Total timeout of API X exceeded N milliseconds retrying
 * error Error: <the error> : Previous errors : [<the error>, <the error>, ...]": keep
 * the error once, and how long it was retried.
 */
function concise(message: string): string {
  const m = /^Total timeout of API (\S+) exceeded (\d+) milliseconds retrying error (?:Error: )?([\s\S]*?)(?: : Previous errors[\s\S]*)?$/.exec(message);
  const inner = m ? `${m[3].trim()} (retried for ${Number(m[2]) / 1000}s)` : message;
  return inner.replace(/\s*Resolution note:\s*$/, '').replace(/\.? Resolution note:\s*(?=\()/, ' ');
}

/** True for an error that says the endpoint refused the connection (nothing listens there). */
export function isConnectionRefused(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; details?: unknown } | undefined;
  if (e?.code === 'ECONNREFUSED') return true;
  return [e?.message, e?.details].some((m) => typeof m === 'string' && /ECONNREFUSED|No connection established/.test(m));
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
    return { code: e.code, message: concise(e.details || e.message || String(err)), reason: e.reason, retryAfter };
  }
  return { code: GrpcCode.UNKNOWN, message: e.message ?? String(err) };
}

export const isNotFound = (err: unknown) => apiError(err).code === GrpcCode.NOT_FOUND;

/** Run a delete (or any call) for which "already gone" (NOT_FOUND) counts as done. */
export async function ignoringNotFound(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
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

/**
 * Messages google-auth-library throws when Application Default Credentials cannot be
 * found or loaded (no `gcloud auth application-default login`, a
 * GOOGLE_APPLICATION_CREDENTIALS naming a missing file, no metadata server), and the
 * token refresh failures of credentials that exist but no longer work.
 */
const NO_ADC = /Could not load the default credentials|Unable to find credentials in current environment|GOOGLE_APPLICATION_CREDENTIALS|The file at .* does not exist, or it is not a file|Unable to detect a Project Id|invalid_grant|invalid_rapt|reauth(?:entication)? (?:is )?(?:related error|required)|Getting metadata from plugin failed/i;

/** True for an error that means "no usable Google Cloud credentials". */
export function isCredentialsError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { message?: unknown; details?: unknown };
  return [e.message, e.details].some((m) => typeof m === 'string' && NO_ADC.test(m));
}

/** The fix for missing or unusable credentials, as one sentence. */
export const CREDENTIALS_FIX =
  'run "gcloud auth application-default login" (or set GOOGLE_APPLICATION_CREDENTIALS to a key file), or set RUNCTL_EMULATOR_HOST to use an emulator';

/** One line saying why the credentials are unusable and what to do. */
export function credentialsMessage(err: unknown, env: NodeJS.ProcessEnv = process.env): string {
  const text = String((err as { message?: unknown })?.message ?? err);
  const keyFile = env.GOOGLE_APPLICATION_CREDENTIALS;
  let why = 'no Application Default Credentials found for Google Cloud';
  if (keyFile && /does not exist|not a file|ENOENT|EISDIR/.test(text)) why = `GOOGLE_APPLICATION_CREDENTIALS names ${keyFile}, which does not exist or is not a file`;
  else if (/invalid_grant|invalid_rapt|reauth/i.test(text)) why = 'the Application Default Credentials were refused (expired or revoked)';
  return `${why}: ${CREDENTIALS_FIX}`;
}

const NETWORK_ERRORS = ['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'ESOCKETTIMEDOUT'];

/**
 * A failure that leaves a write's outcome unknown: the request may or may not have been
 * carried out (deadline passed, connection lost, server unavailable mid-call). A create
 * of a server-named object that fails this way is followed by a lookup, never repeated
 * blindly (see `controllers/slo/create-once.ts`).
 */
export function isAmbiguous(err: unknown): boolean {
  const { code, httpStatus } = apiError(err);
  if (httpStatus === 502 || httpStatus === 503 || httpStatus === 504) return true;
  if (code === GrpcCode.DEADLINE_EXCEEDED || code === GrpcCode.UNAVAILABLE || code === GrpcCode.CANCELLED) return true;
  const sysCode = (err as any)?.code;
  return typeof sysCode === 'string' && NETWORK_ERRORS.includes(sysCode);
}

/**
 * A transient failure that proves the request was not carried out (quota refusal before
 * the call ran, no connection at all): the only kind safe to retry for a call that is not
 * idempotent.
 */
export function isRefusedBeforeRunning(err: unknown): boolean {
  const { code, httpStatus } = apiError(err);
  if (httpStatus === 429 || code === GrpcCode.RESOURCE_EXHAUSTED) return true;
  const sysCode = (err as any)?.code;
  return sysCode === 'ECONNREFUSED' || sysCode === 'EAI_AGAIN';
}
