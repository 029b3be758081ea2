import { describe, expect, it } from 'vitest';
import { apiError, isConflict, isTransient } from '../../src/gcp/errors';
import { retrying, withRetry } from '../../src/gcp/retry';

const grpcErr = (code: number, details = 'x') => Object.assign(new Error(details), { code, details });
const restErr = (status: number, body: unknown) =>
  Object.assign(new Error(JSON.stringify(body)), { response: { status, data: JSON.stringify(body), headers: {} }, config: {} });

describe('error normalisation', () => {
  const cases: Array<{ reason: string; err: unknown; code: number; transient: boolean; conflict: boolean }> = [
    { reason: 'gRPC UNAVAILABLE is transient', err: grpcErr(14), code: 14, transient: true, conflict: false },
    { reason: 'gRPC RESOURCE_EXHAUSTED is transient', err: grpcErr(8), code: 8, transient: true, conflict: false },
    { reason: 'gRPC ABORTED is a conflict', err: grpcErr(10), code: 10, transient: false, conflict: true },
    { reason: 'gRPC NOT_FOUND is neither', err: grpcErr(5), code: 5, transient: false, conflict: false },
    { reason: 'HTTP 412 is a conflict (stale fingerprint)', err: restErr(412, { error: { code: 412, message: 'Precondition', errors: [{ reason: 'conditionNotMet' }] } }), code: 9, transient: false, conflict: true },
    { reason: 'HTTP 429 is transient', err: restErr(429, { error: { code: 429, message: 'quota' } }), code: 8, transient: true, conflict: false },
    { reason: 'HTTP 409 alreadyExists is ALREADY_EXISTS', err: restErr(409, { error: { code: 409, message: "The resource 'x' already exists", errors: [{ reason: 'alreadyExists' }] } }), code: 6, transient: false, conflict: false },
    { reason: 'HTTP 409 with status ABORTED is a conflict', err: restErr(409, { error: { code: 409, message: 'etag', status: 'ABORTED' } }), code: 10, transient: false, conflict: true },
  ];
  it.each(cases)('$reason', ({ err, code, transient, conflict }) => {
    expect(apiError(err).code).toBe(code);
    expect(isTransient(err)).toBe(transient);
    expect(isConflict(err)).toBe(conflict);
  });

  it('parses the message out of a raw JSON body', () => {
    expect(apiError(restErr(404, { error: { code: 404, message: 'The resource was not found' } })).message).toBe('The resource was not found');
  });
});

describe('withRetry', () => {
  it('retries transient errors, then succeeds', async () => {
    let calls = 0;
    const v = await withRetry(async () => {
      if (++calls < 3) throw grpcErr(14);
      return 'ok';
    }, { initialMs: 1, maxMs: 2 });
    expect(v).toBe('ok');
    expect(calls).toBe(3);
  });

  it('does not retry permanent errors', async () => {
    let calls = 0;
    await expect(withRetry(async () => { calls++; throw grpcErr(3); }, { initialMs: 1 })).rejects.toThrow();
    expect(calls).toBe(1);
  });

  it('gives up after the attempt budget', async () => {
    let calls = 0;
    await expect(withRetry(async () => { calls++; throw grpcErr(14); }, { attempts: 4, initialMs: 1, maxMs: 1 })).rejects.toThrow();
    expect(calls).toBe(4);
  });

  it('wraps every promise method of a client, leaving sync ones alone', async () => {
    let calls = 0;
    const client = {
      servicePath: (a: string) => `p/${a}`,
      async getThing() {
        if (++calls < 2) throw grpcErr(14);
        return 42;
      },
    };
    const wrapped = retrying(client, { initialMs: 1 });
    expect(wrapped.servicePath('x')).toBe('p/x');
    expect(await wrapped.getThing()).toBe(42);
    expect(calls).toBe(2);
  });
});

describe('retrying, reported', () => {
  it('tells onRetry the label and how long the call has been retrying', async () => {
    const seen: Array<{ attempt: number; elapsedMs: number; label?: string }> = [];
    let calls = 0;
    await withRetry(async () => {
      if (++calls < 4) throw grpcErr(14);
      return 'ok';
    }, { initialMs: 5, maxMs: 10, label: 'getService', onRetry: (_e, attempt, _d, info) => seen.push({ attempt, ...info }) });
    expect(seen.map((s) => s.attempt)).toEqual([1, 2, 3]);
    expect(seen.every((s) => s.label === 'getService')).toBe(true);
    expect(seen[2].elapsedMs).toBeGreaterThanOrEqual(seen[0].elapsedMs);
  });

  it('stops retrying when check throws a better error', async () => {
    let calls = 0;
    const better = new Error('the emulator is gone');
    await expect(withRetry(async () => {
      calls++;
      throw grpcErr(14, 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1');
    }, { initialMs: 1, maxMs: 2, check: async () => { throw better; } })).rejects.toBe(better);
    expect(calls).toBe(1);
  });

  it("keeps one copy of the error gax's own retries repeat", () => {
    const inner = '14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ';
    const message = `Total timeout of API google.cloud.run.v2.Services exceeded 10000 milliseconds retrying error Error: ${inner} : Previous errors : [{message: ${inner}, code: 14}, {message: ${inner}, code: 14}]`;
    const info = apiError(Object.assign(new Error(message), { code: 4 }));
    expect(info.message).toBe('14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1 (retried for 10s)');
  });
});
