/** A call that must fail, reduced to what tests compare: the gRPC code (over either transport), message and HTTP status. */
import { apiError } from '../../src/gcp/errors';

export async function apiFailure(p: Promise<unknown>): Promise<{ code: number; message: string; httpStatus?: number }> {
  try {
    await p;
  } catch (err) {
    const e = apiError(err);
    return { code: e.code, message: e.message, httpStatus: e.httpStatus };
  }
  throw new Error('expected the call to fail');
}
