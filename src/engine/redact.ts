/**
 * Redaction: the one helper that hides credentials carried in text runctl shows or
 * records — log records, error lines, `/readyz`, `/metrics`, progress lines. A Git URL
 * given to `sync --repo` is the usual carrier (`https://user:TOKEN@host/r.git`,
 * `...?access_token=TOKEN`), and git repeats it in its own error messages.
 *
 * What is hidden, in every URL with a scheme (`https://`, `ssh://`, `git+https://`, ...):
 * - the user-info part (`user:password@`), which is where Git credentials go;
 * - the value of every query (or fragment) parameter (`?access_token=***&ref=***`): a
 *   query string in a repository URL is almost always a credential (tokens, signatures,
 *   keys); parameter names are kept so the URL stays recognisable, and a few that Google
 *   puts in its own help links and that never hold a secret (`project`, `alt`, ...)
 *   keep their values;
 * And outside URLs: `Authorization: Bearer|Basic ...` header values (git's
 * `http.extraHeader`).
 */

/** What replaces a hidden value. */
export const REDACTED = '***';

/** A URL with a scheme, up to the first character that cannot be part of it in prose or JSON. */
const URL_PATTERN = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>\\`]+/gi;
const AUTH_HEADER = /\b(authorization\s*:\s*(?:bearer|basic|token)\s+)[^\s"'\\]+/gi;

/** Query parameters that name, never authorise (Google's console and API help links). */
const HARMLESS_PARAMS = new Set(['project', 'alt', 'prettyprint', 'fields']);

/** One URL with its user-info and query values hidden. */
function redactUrl(url: string): string {
  const out = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, `$1${REDACTED}@`);
  const q = out.search(/[?#]/);
  if (q < 0) return out;
  const params = out.slice(q).replace(/([?&#;])([^=&#;]*)=([^&#;]*)/g, (all, sep: string, name: string) =>
    HARMLESS_PARAMS.has(name.toLowerCase()) ? all : `${sep}${name}=${REDACTED}`,
  );
  return out.slice(0, q) + params;
}

/**
 * The credentials one URL carries (its user-info and query values), so that they can be
 * hidden wherever they appear, also where a tool repeats them without the URL around
 * them (git quotes a `file://` URL as a bare path).
 */
export function secretsOf(url: string): string[] {
  const out: string[] = [];
  const user = /^[a-z][a-z0-9+.-]*:\/\/([^/?#@]*)@/i.exec(url)?.[1];
  // `user:password@`: the password; a lone `TOKEN@` (GitHub's form) is the token itself.
  const secret = user?.includes(':') ? user.slice(user.indexOf(':') + 1) : user;
  if (secret && secret.length >= 4) out.push(secret);
  const q = url.search(/[?#]/);
  if (q >= 0) {
    for (const m of url.slice(q).matchAll(/[?&#;]([^=&#;]*)=([^&#;]*)/g)) {
      if (!HARMLESS_PARAMS.has(m[1].toLowerCase()) && m[2].length >= 4) out.push(m[2]);
    }
  }
  // Longest first, so a password is not half-hidden by a shorter secret inside it.
  return [...new Set(out)].sort((a, b) => b.length - a.length);
}

/**
 * `text` with every credential in a URL (user-info, query values) or an auth header
 * hidden, and every one of `secrets` (see `secretsOf`) wherever it appears.
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  if (!text) return text;
  let out = text.replace(URL_PATTERN, redactUrl).replace(AUTH_HEADER, `$1${REDACTED}`);
  for (const secret of secrets) out = out.split(secret).join(REDACTED);
  return out;
}

/** `redact` over every string inside a value (for structured log records and JSON output). */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)])) as T;
  }
  return value;
}
