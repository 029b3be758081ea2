/**
 * `google.api.http` path templates (google/api/http.proto): `/v2/{name=projects/*\/locations/*}/services`,
 * `{field}` (one segment), `*` (one segment), `**` (the rest), and a trailing `:verb`.
 * Compiled to a regular expression over the raw (still percent-encoded) request path.
 */

/** A compiled template: the variables it binds, in order of their capture groups. */
export interface PathTemplate {
  source: string;
  regex: RegExp;
  /** Field paths bound by the variables, e.g. `service.name`. */
  fields: string[];
  /** The custom verb (`getIamPolicy`), when the template ends with one. */
  verb?: string;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One segment pattern: `*` = one segment, `**` = one or more segments, else a literal. */
function segmentPattern(seg: string): string {
  if (seg === '*') return '[^/]+';
  if (seg === '**') return '.+';
  return escape(seg);
}

/** Split the template's `:verb` off (a colon after the last `}` and the last `/`). */
function splitVerb(template: string): [string, string | undefined] {
  const colon = template.lastIndexOf(':');
  if (colon > template.lastIndexOf('}') && colon > template.lastIndexOf('/')) return [template.slice(0, colon), template.slice(colon + 1)];
  return [template, undefined];
}

/** Compile a template; throws on a malformed one (a proto we cannot serve is a bug to see). */
export function compileTemplate(template: string): PathTemplate {
  const [path, verb] = splitVerb(template);
  const fields: string[] = [];
  let out = '';
  let i = 0;
  while (i < path.length) {
    if (path[i] === '{') {
      const end = path.indexOf('}', i);
      if (end < 0) throw new Error(`unterminated variable in path template ${template}`);
      const [field, sub = '*'] = path.slice(i + 1, end).split('=');
      fields.push(field);
      out += `(${sub.split('/').map(segmentPattern).join('/')})`;
      i = end + 1;
      continue;
    }
    const next = path.indexOf('{', i);
    const literal = next < 0 ? path.slice(i) : path.slice(i, next);
    out += literal.split('/').map((seg) => (seg === '*' || seg === '**' ? segmentPattern(seg) : escape(seg))).join('/');
    i += literal.length;
  }
  if (verb) out += escape(`:${verb}`);
  return { source: template, regex: new RegExp(`^${out}$`), fields, verb };
}

/**
 * Match a raw request path. Returns the bound field values (percent-decoded), or
 * undefined. A template without a verb never binds a last segment holding a `:`, so
 * `.../services/s:getIamPolicy` is never read as GetService of `s:getIamPolicy`.
 */
export function matchTemplate(t: PathTemplate, rawPath: string): Record<string, string> | undefined {
  const m = t.regex.exec(rawPath);
  if (!m) return undefined;
  if (!t.verb && rawPath.slice(rawPath.lastIndexOf('/') + 1).includes(':')) return undefined;
  const values: Record<string, string> = {};
  t.fields.forEach((f, i) => {
    values[f] = decodeURIComponent(m[i + 1]);
  });
  return values;
}
