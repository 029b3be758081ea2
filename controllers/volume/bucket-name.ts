/**
 * Cloud Storage's bucket naming rules (cloud.google.com/storage/docs/buckets#naming),
 * checked before the first API call so a bad name fails in `validate` at file:line:
 * 3-63 characters (up to 222 when the name contains dots, each dot-separated part at
 * most 63); lowercase letters, digits, `-`, `_` and `.`; starting and ending with a
 * letter or digit; not an IP address in dotted-decimal form; not starting with `goog`;
 * not containing `google` or a close misspelling of it (`g00gle`).
 */
import { isIP } from 'node:net';

/** Why `name` is not a valid bucket name, or undefined when it is. */
export function bucketNameProblem(name: string): string | undefined {
  const parts = name.split('.');
  const max = parts.length > 1 ? 222 : 63;
  if (name.length < 3 || name.length > max) {
    return `must be 3 to 63 characters long (up to 222 with dots) (got ${name.length})`;
  }
  if (!/^[a-z0-9._-]+$/.test(name)) return `may hold only lowercase letters, digits, '-', '_' and '.' (got "${name}")`;
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return `must start and end with a letter or digit (got "${name}")`;
  if (parts.some((p) => p.length === 0)) return `must not hold '..' (an empty part between dots) (got "${name}")`;
  const long = parts.find((p) => p.length > 63);
  if (long) return `each dot-separated part is at most 63 characters (got one of ${long.length})`;
  if (isIP(name) || /^\d+\.\d+\.\d+\.\d+$/.test(name)) return `must not be an IP address (got "${name}")`;
  if (name.startsWith('goog')) return `must not start with "goog" (reserved by Google) (got "${name}")`;
  if (/g[o0][o0]g[l1]e/.test(name)) return `must not contain "google" or a close misspelling of it (got "${name}")`;
  return undefined;
}
