/**
 * Listing: Compute's `filter` expressions, `orderBy` and `maxResults`/`pageToken` paging.
 *
 * Filters come in two syntaxes (both seen from clients):
 * - legacy: `name eq my-lb` / `labels.runctl-set ne 'x'` — the value is an RE2 regular
 *   expression that must match the whole field;
 * - current: `name = "my-lb"`, `labels.env != prod`, `labels.owner:*` (has),
 *   `creationTimestamp > "2024-01-01"`, combined with `AND` / `OR` / `NOT` / parentheses
 *   and implicit AND between adjacent terms. `*` in a value is a wildcard.
 */
import { invalid } from './errors';

/** Default page size: small on purpose, so clients exercise pagination. */
export const DEFAULT_PAGE_SIZE = 10;
const MAX_PAGE_SIZE = 500;

type Pred = (item: any) => boolean;

interface Tok {
  kind: 'lp' | 'rp' | 'op' | 'str' | 'word';
  text: string;
}

const TOKEN = /\s*(?:(\()|(\))|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(!=|>=|<=|!~|=|:|<|>|~)|([^\s()=!:<>~"']+))/y;

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < src.length) {
    if (/^\s*$/.test(src.slice(TOKEN.lastIndex))) break;
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(src);
    if (!m || TOKEN.lastIndex === start) throw badFilter(src);
    if (m[1]) out.push({ kind: 'lp', text: '(' });
    else if (m[2]) out.push({ kind: 'rp', text: ')' });
    else if (m[3]) out.push({ kind: 'str', text: m[3].slice(1, -1).replace(/\\(.)/g, '$1') });
    else if (m[4]) out.push({ kind: 'op', text: m[4] });
    else out.push({ kind: 'word', text: m[5] });
  }
  return out;
}

function badFilter(src: string) {
  return invalid('filter', src, 'Invalid list filter expression.');
}

/** Values of a dotted field path; arrays fan out. */
function valuesAt(item: any, path: string): string[] {
  let cur: any[] = [item];
  for (const key of path.split('.')) {
    const next: any[] = [];
    for (const c of cur) {
      if (c === null || c === undefined) continue;
      const v = c[key];
      if (Array.isArray(v)) next.push(...v);
      else if (v !== undefined && v !== null) next.push(v);
    }
    cur = next;
  }
  return cur.filter((v) => typeof v !== 'object').map(String);
}

function fullRegex(src: string, pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch {
    throw badFilter(src);
  }
}

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

function compare(src: string, field: string, op: string, lit: string): Pred {
  const numeric = (a: string) => a !== '' && Number.isFinite(Number(a));
  const cmp = (a: string) => (numeric(a) && numeric(lit) ? Number(a) - Number(lit) : a < lit ? -1 : a > lit ? 1 : 0);
  switch (op) {
    case 'eq': case '~': { const re = fullRegex(src, lit); return (it) => valuesAt(it, field).some((v) => re.test(v)); }
    case 'ne': case '!~': { const re = fullRegex(src, lit); return (it) => !valuesAt(it, field).some((v) => re.test(v)); }
    case '=': { const re = glob(lit); return (it) => valuesAt(it, field).some((v) => re.test(v)); }
    case '!=': { const re = glob(lit); return (it) => !valuesAt(it, field).some((v) => re.test(v)); }
    case ':': {
      if (lit === '*') return (it) => valuesAt(it, field).length > 0;
      const re = glob(lit);
      return (it) => valuesAt(it, field).some((v) => re.test(v));
    }
    case '<': return (it) => valuesAt(it, field).some((v) => cmp(v) < 0);
    case '<=': return (it) => valuesAt(it, field).some((v) => cmp(v) <= 0);
    case '>': return (it) => valuesAt(it, field).some((v) => cmp(v) > 0);
    case '>=': return (it) => valuesAt(it, field).some((v) => cmp(v) >= 0);
    default: throw badFilter(src);
  }
}

/** Parse a Compute list filter into a predicate. Empty → everything matches. */
export function parseFilter(src: string | null | undefined): Pred {
  if (!src || !src.trim()) return () => true;
  const toks = tokenize(src);
  let i = 0;
  const peek = () => toks[i];
  const isWord = (t: Tok | undefined, w: string) => t?.kind === 'word' && t.text.toUpperCase() === w;

  // expr := factor { [AND] factor } ; factor := unary { OR unary } (AIP-160: OR binds tighter)
  const expr = (): Pred => {
    const parts: Pred[] = [factor()];
    while (i < toks.length && peek().kind !== 'rp') {
      if (isWord(peek(), 'AND')) i++;
      parts.push(factor());
    }
    return (it) => parts.every((p) => p(it));
  };
  const factor = (): Pred => {
    const parts: Pred[] = [unary()];
    while (isWord(peek(), 'OR')) {
      i++;
      parts.push(unary());
    }
    return parts.length === 1 ? parts[0] : (it) => parts.some((p) => p(it));
  };
  const unary = (): Pred => {
    const t = peek();
    if (!t) throw badFilter(src);
    if (isWord(t, 'NOT') || (t.kind === 'word' && t.text === '-')) {
      i++;
      const inner = unary();
      return (it) => !inner(it);
    }
    if (t.kind === 'lp') {
      i++;
      const inner = expr();
      if (peek()?.kind !== 'rp') throw badFilter(src);
      i++;
      return inner;
    }
    if (t.kind !== 'word') throw badFilter(src);
    i++;
    const op = peek();
    let opText: string;
    if (op?.kind === 'op') opText = op.text;
    else if (op?.kind === 'word' && ['eq', 'ne'].includes(op.text.toLowerCase())) opText = op.text.toLowerCase();
    else throw badFilter(src);
    i++;
    const lit = peek();
    if (!lit || (lit.kind !== 'word' && lit.kind !== 'str')) throw badFilter(src);
    i++;
    return compare(src, t.text, opText, lit.text);
  };

  const pred = expr();
  if (i !== toks.length) throw badFilter(src);
  return pred;
}

/** Sort by `orderBy` (`name`, `creationTimestamp desc`, ...); default by name. */
export function order(items: Record<string, any>[], orderBy: string | null): Record<string, any>[] {
  const [field, dir] = (orderBy ?? 'name').trim().split(/\s+/);
  if (!field || !/^[A-Za-z.]+$/.test(field) || (dir && !/^(asc|desc)$/i.test(dir))) {
    throw invalid('orderBy', orderBy, 'Invalid orderBy expression.');
  }
  const sign = dir?.toLowerCase() === 'desc' ? -1 : 1;
  return [...items].sort((a, b) => {
    const x = String(valuesAt(a, field)[0] ?? '');
    const y = String(valuesAt(b, field)[0] ?? '');
    return x < y ? -sign : x > y ? sign : 0;
  });
}

/** One page of `items` after `pageToken`, with the token of the next page. */
export function paginate<T>(items: T[], query: URLSearchParams): { items: T[]; nextPageToken?: string } {
  const rawMax = query.get('maxResults');
  let size = DEFAULT_PAGE_SIZE;
  if (rawMax !== null && rawMax !== '') {
    const n = Number(rawMax);
    if (!Number.isInteger(n) || n < 0) throw invalid('maxResults', rawMax, 'Must be a non-negative integer.');
    if (n > MAX_PAGE_SIZE) throw invalid('maxResults', rawMax, `Must be less than or equal to ${MAX_PAGE_SIZE}`);
    if (n > 0) size = n;
  }
  let offset = 0;
  const token = query.get('pageToken');
  if (token) {
    try {
      offset = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')).o;
    } catch {
      offset = NaN;
    }
    if (!Number.isInteger(offset) || offset < 0) throw invalid('pageToken', token, 'Invalid page token.');
  }
  const page = items.slice(offset, offset + size);
  const next = offset + size < items.length ? Buffer.from(JSON.stringify({ o: offset + size })).toString('base64url') : undefined;
  return { items: page, nextPageToken: next };
}
