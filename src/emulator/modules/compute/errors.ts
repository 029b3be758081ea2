/**
 * Compute's error vocabulary. Messages follow the real API's wording where it is known
 * (Terraform and gcloud logs quote them); the router renders them in the legacy JSON form
 * `{error: {code, message, errors: [{domain, reason, message}]}}`.
 */
import { Code, EmulatorError } from '../../errors';

/** Names must be RFC 1035 labels. */
export const NAME_PATTERN = '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)';
const NAME_RE = new RegExp(`^${NAME_PATTERN}$`);

/** 404 `notFound`. */
export function notFound(rel: string): EmulatorError {
  return new EmulatorError(Code.NOT_FOUND, `The resource '${rel}' was not found`, 'notFound');
}

/** 409 `alreadyExists`. */
export function alreadyExists(rel: string): EmulatorError {
  return new EmulatorError(Code.ALREADY_EXISTS, `The resource '${rel}' already exists`, 'alreadyExists');
}

/** 400 `invalid`: `Invalid value for field 'F': 'V'. why` */
export function invalid(field: string, value: unknown, why: string): EmulatorError {
  const shown = typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
  return new EmulatorError(Code.INVALID_ARGUMENT, `Invalid value for field '${field}': '${shown}'. ${why}`, 'invalid');
}

/** 400 `required`. */
export function required(field: string): EmulatorError {
  return new EmulatorError(Code.INVALID_ARGUMENT, `Required field '${field}' not specified`, 'required');
}

/** 400 `resourceInUseByAnotherResource`, naming the first user. */
export function inUse(typeName: string, rel: string, user: string): EmulatorError {
  return new EmulatorError(
    Code.FAILED_PRECONDITION,
    `The ${typeName} resource '${rel}' is already being used by '${user}'`,
    'resourceInUseByAnotherResource',
  );
}

/** 400 `resourceNotReady`: a referenced resource is still being created. */
export function notReady(rel: string): EmulatorError {
  return new EmulatorError(Code.INVALID_ARGUMENT, `The resource '${rel}' is not ready`, 'resourceNotReady');
}

/** 412 `conditionNotMet`. */
export function conditionNotMet(message = 'Invalid fingerprint.'): EmulatorError {
  return new EmulatorError(Code.FAILED_PRECONDITION, message, 'conditionNotMet');
}

/** Validate a resource or path name; `field` is how the API names it in the error. */
export function checkName(field: string, name: unknown): string {
  if (typeof name !== 'string' || name === '') throw required(field);
  if (!NAME_RE.test(name)) throw invalid(field, name, `Must be a match of regex '${NAME_PATTERN}'`);
  return name;
}

/** Compute operation error code for an emulator error (`error.errors[].code`). */
export function operationErrorCode(grpcCode: number, reason?: string): string {
  switch (reason) {
    case 'notFound': return 'RESOURCE_NOT_FOUND';
    case 'alreadyExists': return 'RESOURCE_ALREADY_EXISTS';
    case 'resourceInUseByAnotherResource': return 'RESOURCE_IN_USE_BY_ANOTHER_RESOURCE';
    case 'conditionNotMet': return 'CONDITION_NOT_MET';
    case 'resourceNotReady': return 'RESOURCE_NOT_READY';
  }
  switch (grpcCode) {
    case Code.NOT_FOUND: return 'RESOURCE_NOT_FOUND';
    case Code.ALREADY_EXISTS: return 'RESOURCE_ALREADY_EXISTS';
    case Code.RESOURCE_EXHAUSTED: return 'QUOTA_EXCEEDED';
    case Code.INVALID_ARGUMENT: return 'INVALID_FIELD_VALUE';
    case Code.FAILED_PRECONDITION: return 'CONDITION_NOT_MET';
    case Code.PERMISSION_DENIED: return 'PERMISSIONS_ERROR';
    case Code.UNAVAILABLE: return 'SERVICE_UNAVAILABLE';
    default: return 'INTERNAL_ERROR';
  }
}

/** The HTTP reason phrase Compute puts in `httpErrorMessage`. */
export function httpErrorMessage(status: number): string {
  const phrases: Record<number, string> = {
    400: 'BAD REQUEST',
    403: 'FORBIDDEN',
    404: 'NOT FOUND',
    409: 'CONFLICT',
    412: 'PRECONDITION FAILED',
    429: 'TOO MANY REQUESTS',
    500: 'INTERNAL SERVER ERROR',
    503: 'SERVICE UNAVAILABLE',
    504: 'GATEWAY TIMEOUT',
  };
  return phrases[status] ?? 'INTERNAL SERVER ERROR';
}
