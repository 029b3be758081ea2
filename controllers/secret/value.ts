/**
 * A Secret's value: read from its source (a local file or an environment variable of
 * the runctl process) and compared with the payload of the live `latest` version.
 *
 * Why compare against the live payload instead of recording a hash of the value on the
 * secret: anything derived from the value and stored with the secret's metadata (a
 * hash, even salted) can be read by whoever may read that metadata
 * (roles/secretmanager.viewer) and tested offline against guesses, which breaks short
 * values such as passwords; comparing with the payload leaves nothing behind, and it
 * sees every drift exactly (a version added out of band with another value is put back;
 * the same value added again is not a change). It costs one AccessSecretVersion read per
 * Secret with a value per plan, and the person running runctl needs
 * secretmanager.versions.access (Secret Manager Admin has it).
 *
 * The value is held in memory only while comparing or writing, never put in a form,
 * plan, status, message or error; the form carries one of two tokens instead.
 */
import { timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import { RunctlError } from '../../src/engine/types';
import { apiError, isNotFound } from '../../src/gcp/errors';
import { GrpcCode } from '../../src/util/grpc-codes';
import type { ObserveContext } from '../../src/engine/controller';
import type { SecretValue } from '../generated/manifests';

/** Form token: the live latest version holds the value the source holds. */
export const VALUE_CURRENT = '(sensitive)';
/** Form token: it does not (or there is no enabled latest version). */
export const VALUE_DIFFERS = '(sensitive, differs)';

/** Where a value comes from, in words (no value). */
export function describeSource(v: SecretValue): string {
  return v.fromFile ? `file ${v.fromFile}` : `environment variable ${v.fromEnv}`;
}

/** The value from its source; a missing source is a user error naming the source only. */
export function readValue(v: SecretValue, env: NodeJS.ProcessEnv = process.env): Buffer {
  if (v.fromFile) {
    try {
      return fs.readFileSync(v.fromFile);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new RunctlError('InvalidValue', `spec.value.fromFile: cannot read ${v.fromFile} (${code ?? 'error'})`, { source: 'user' });
    }
  }
  const raw = v.fromEnv ? env[v.fromEnv] : undefined;
  if (raw === undefined) throw new RunctlError('InvalidValue', `spec.value.fromEnv: environment variable ${v.fromEnv} is not set`, { source: 'user' });
  return Buffer.from(raw, 'utf8');
}

/** Constant-time equality of two payloads. */
function same(a: Buffer, b: Uint8Array): boolean {
  const bb = Buffer.from(b);
  return a.length === bb.length && timingSafeEqual(a, bb);
}

/**
 * Whether the live latest version holds the source's value: VALUE_CURRENT or
 * VALUE_DIFFERS, or an error (the source cannot be read) kept for planning to report.
 */
export async function compareValue(ctx: ObserveContext, secretName: string, v: SecretValue): Promise<{ token: string } | { error: RunctlError }> {
  let local: Buffer;
  try {
    local = readValue(v);
  } catch (err) {
    return { error: err as RunctlError };
  }
  try {
    const [version] = await ctx.clients.secretManager().accessSecretVersion({ name: `${secretName}/versions/latest` });
    const data = version.payload?.data;
    return { token: data && same(local, typeof data === 'string' ? Buffer.from(data, 'base64') : data) ? VALUE_CURRENT : VALUE_DIFFERS };
  } catch (err) {
    // No version, or the latest is disabled or destroyed: the value is to be added.
    if (isNotFound(err) || apiError(err).code === GrpcCode.FAILED_PRECONDITION) return { token: VALUE_DIFFERS };
    throw err;
  } finally {
    local.fill(0);
  }
}
