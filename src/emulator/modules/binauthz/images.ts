/**
 * Image references and the two kinds of matching Binary Authorization does: allowlist
 * patterns (`admissionWhitelistPatterns[].namePattern`) and attested images.
 */

/** `registry/path/image[:tag][@digest]` split into its parts. */
export interface ImageRef {
  repo: string;
  tag?: string;
  digest?: string;
}

/** Parse an image reference; a `:` after the last `/` starts the tag (a registry port is before it). */
export function parseImage(image: string): ImageRef {
  let rest = image.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) return { repo: rest.slice(0, colon), tag: rest.slice(colon + 1), digest };
  return { repo: rest, digest };
}

/**
 * Does an allowlist pattern exempt this image? As documented for the API:
 * - `registry/path/image` (no wildcard): that image, with any or no tag/digest;
 * - a trailing `*` matches any text without `/` (`gcr.io/p/trusted/*` matches
 *   `gcr.io/p/trusted/app:v1`, not `gcr.io/p/trusted/sub/app`; `gcr.io/nginx*` matches
 *   `gcr.io/nginx@sha256:...`);
 * - a trailing `**` also matches across `/` (subdirectories).
 */
export function matchesPattern(pattern: string, image: string): boolean {
  if (pattern.endsWith('**')) return image.startsWith(pattern.slice(0, -2));
  if (pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    return image.startsWith(prefix) && !image.slice(prefix.length).includes('/');
  }
  return image === pattern || parseImage(image).repo === pattern;
}

/**
 * Is `image` covered by the attested entry `entry`? Attestations belong to an image
 * version, so:
 * - equal strings match;
 * - an entry without tag or digest (`gcr.io/p/app`) attests every version of that repository;
 * - an entry with a digest matches images with the same repository and digest;
 * - an entry with a tag (and no digest) matches the same repository and tag; an image
 *   without tag or digest means `:latest`.
 */
export function matchesAttested(entry: string, image: string): boolean {
  if (entry === image) return true;
  const e = parseImage(entry);
  const i = parseImage(image);
  if (e.repo !== i.repo) return false;
  if (!e.tag && !e.digest) return true;
  if (e.digest) return e.digest === i.digest;
  const tag = i.tag ?? (i.digest ? undefined : 'latest');
  return e.tag === tag;
}
