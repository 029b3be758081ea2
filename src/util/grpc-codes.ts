/**
 * The canonical gRPC status codes (google.rpc.Code), the one table of them: the clients'
 * error handling (`src/gcp/errors.ts`) and the emulator (`src/emulator/errors.ts`) both
 * read their codes and names from here.
 */
export const GrpcCode = {
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
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type GrpcCodeName = keyof typeof GrpcCode;

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(GrpcCode).map(([k, v]) => [v, k]));

/** The canonical name of a code (`NOT_FOUND`); `UNKNOWN` for a number that is none. */
export function grpcCodeName(code: number): string {
  return NAMES[code] ?? 'UNKNOWN';
}

/** The code a canonical name stands for (`"NOT_FOUND"` → 5), in any letter case. */
export function grpcCodeByName(name: string): number | undefined {
  return (GrpcCode as Record<string, number>)[name.toUpperCase()];
}
