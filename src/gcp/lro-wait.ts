/**
 * Waiting on Cloud Run long-running operations with `google.longrunning.Operations/
 * WaitOperation` instead of polling `GetOperation`.
 *
 * google-gax polls an operation with GetOperation at 100 ms x 1.3 up to 60 s: for a
 * 2-second operation that is ~8 reads and up to a poll interval of delay after it is
 * done; for minute-long deploys of 100 services, thousands of reads that eat into the
 * Cloud Run read quota (per region, per minute). Cloud Run v2 implements WaitOperation
 * (`POST /v2/{name}:wait`, best effort: it may return early, still not done), so one
 * call per operation returns as soon as it is done. gax's OperationsClient has no
 * waitOperation method; its stub does (the stub is built from the full
 * google.longrunning.Operations service), so the client's poll function is replaced
 * by one that waits. Servers answering UNIMPLEMENTED get the original polling back.
 */
import { apiError } from './errors';

/** google.rpc.Code UNIMPLEMENTED: the server has no WaitOperation. */
const UNIMPLEMENTED = 12;

/** How long one WaitOperation call may block server-side, seconds. @default 30 */
export const WAIT_TIMEOUT_S = 30;

/** Hooks around each wait call (rate limiting, retries of transient errors). */
export interface WaitHooks {
  /** Wrap one call: retries, limiter tokens. */
  call<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

type GetInternal = (request: { name?: string }, options?: unknown) => Promise<unknown[]> & { cancel?: () => void };

/**
 * Make `client.operationsClient` wait with WaitOperation. Every `op.promise()` of the
 * client then costs one read per operation (a few for operations longer than
 * `WAIT_TIMEOUT_S`). Returns false when the client has no gRPC operations stub.
 */
export function useWaitOperation(client: unknown, hooks: WaitHooks, timeoutS = WAIT_TIMEOUT_S): boolean {
  const ops = (client as { operationsClient?: Record<string, any> }).operationsClient;
  if (!ops || typeof ops.getOperationInternal !== 'function' || !ops.operationsStub) return false;
  const original: GetInternal = ops.getOperationInternal.bind(ops);
  let unimplemented = false;

  const wait = (name: string): { promise: Promise<unknown[]>; cancel: () => void } => {
    let call: { cancel?: () => void } | undefined;
    const promise = (ops.operationsStub as Promise<any>).then(
      (stub) =>
        new Promise<unknown[]>((resolve, reject) => {
          if (typeof stub?.waitOperation !== 'function') {
            reject(Object.assign(new Error('WaitOperation is not available'), { code: UNIMPLEMENTED }));
            return;
          }
          const { grpc } = require('google-gax') as typeof import('google-gax');
          const deadline = new Date(Date.now() + (timeoutS + 15) * 1000);
          // The REST stub (`fallback: true`) cannot build this call: gax maps only RPCs
          // whose proto carries an HTTP annotation, and WaitOperation's has none
          // (google-gax transcoding.js overrideHttpRules), so it fails with a TypeError
          // before sending anything. Poll GetOperation instead.
          const unavailable = (err: unknown) =>
            err instanceof TypeError ? Object.assign(new Error(`WaitOperation is not available: ${err.message}`), { code: UNIMPLEMENTED }) : err;
          try {
            call = stub.waitOperation({ name, timeout: { seconds: timeoutS } }, new grpc.Metadata(), { deadline }, (err: unknown, op: unknown) =>
              err ? reject(unavailable(err)) : resolve([op]),
            );
          } catch (err) {
            reject(unavailable(err));
          }
        }),
    );
    return { promise, cancel: () => call?.cancel?.() };
  };

  ops.getOperationInternal = (request: { name?: string }, options?: unknown) => {
    if (unimplemented || !request?.name) return original(request, options);
    const name = request.name;
    let current: { cancel: () => void } | undefined;
    const promise = hooks.call(name, () => {
      const w = wait(name);
      current = w;
      return w.promise;
    }).catch((err) => {
      if (apiError(err).code !== UNIMPLEMENTED) throw err;
      unimplemented = true;
      return original(request, options);
    }) as Promise<unknown[]> & { cancel?: () => void };
    promise.cancel = () => current?.cancel();
    return promise;
  };
  return true;
}
