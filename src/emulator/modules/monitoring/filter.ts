/**
 * The Monitoring filter language (https://cloud.google.com/monitoring/api/v3/filters and
 * .../sorting-and-filtering), enough of it for time-series selectors and list filters:
 *
 *   metric.type = "run.googleapis.com/request_count" AND resource.labels.service_name = "x"
 *   metric.labels.response_code_class = one_of("4xx", "5xx")
 *   user_labels.team = "sre" OR NOT display_name : "test"
 *
 * Terms joined by whitespace mean AND; precedence NOT > AND > OR; parentheses group.
 * Operators `=`, `!=`, `:` (has / contains), `<`, `<=`, `>`, `>=`; right-hand sides are
 * strings, numbers, bare words or the functions `starts_with`, `ends_with`,
 * `has_substring`, `one_of` and `monitoring.regex.full_match`.
 */
import { EmulatorError, Code } from '../../errors';

export type FilterNode =
  | { kind: 'and' | 'or'; items: FilterNode[] }
  | { kind: 'not'; item: FilterNode }
  | { kind: 'cmp'; selector: string[]; op: string; value: FilterValue };

export type FilterValue =
  | { kind: 'literal'; value: string }
  | { kind: 'fn'; name: string; args: string[] };

/** Resolves a selector (`['metric', 'labels', 'x']`) to a value of the filtered object. */
export type Resolver = (selector: string[]) => unknown;

type Token = { t: 'str' | 'word' | 'op' | '(' | ')' | ','; v: string };

function fail(filter: string, why: string): never {
  throw new EmulatorError(Code.INVALID_ARGUMENT, `Could not parse filter "${filter}": ${why}`);
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        s += src[j++];
      }
      if (j >= src.length) fail(src, 'unterminated string');
      out.push({ t: 'str', v: s });
      i = j + 1;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') { out.push({ t: c, v: c }); i++; continue; }
    const two = src.slice(i, i + 2);
    if (['!=', '<=', '>='].includes(two)) { out.push({ t: 'op', v: two }); i += 2; continue; }
    if ('=:<>'.includes(c)) { out.push({ t: 'op', v: c }); i++; continue; }
    const prev = out[out.length - 1];
    const atTermStart = !prev || prev.t === '(' || (prev.t === 'word' && /^(AND|OR|NOT)$/.test(prev.v));
    if (c === '-' && atTermStart) {
      out.push({ t: 'word', v: 'NOT' });
      i++;
      continue;
    }
    const m = /^[A-Za-z0-9_./\-*@]+/.exec(src.slice(i));
    if (!m) fail(src, `unexpected character '${c}'`);
    out.push({ t: 'word', v: m[0] });
    i += m[0].length;
  }
  return out;
}

/** Parse a filter; an empty filter is undefined (matches everything). */
export function parseFilter(filter: string | undefined | null): FilterNode | undefined {
  const src = (filter ?? '').trim();
  if (!src) return undefined;
  const toks = tokenize(src);
  let pos = 0;
  const peek = () => toks[pos];
  const isWord = (w: string) => peek()?.t === 'word' && peek()!.v === w;

  const parseOr = (): FilterNode => {
    const items = [parseAnd()];
    while (isWord('OR')) { pos++; items.push(parseAnd()); }
    return items.length === 1 ? items[0] : { kind: 'or', items };
  };
  const parseAnd = (): FilterNode => {
    const items = [parseUnary()];
    for (;;) {
      if (isWord('AND')) { pos++; items.push(parseUnary()); continue; }
      const p = peek();
      if (p && (p.t === 'word' && p.v !== 'OR' || p.t === '(')) { items.push(parseUnary()); continue; }
      break;
    }
    return items.length === 1 ? items[0] : { kind: 'and', items };
  };
  const parseUnary = (): FilterNode => {
    if (isWord('NOT')) { pos++; return { kind: 'not', item: parseUnary() }; }
    if (peek()?.t === '(') {
      pos++;
      const inner = parseOr();
      if (peek()?.t !== ')') fail(src, 'missing )');
      pos++;
      return inner;
    }
    return parseCmp();
  };
  const parseCmp = (): FilterNode => {
    const sel = peek();
    if (!sel || sel.t !== 'word') fail(src, `expected a field name at token ${pos + 1}`);
    pos++;
    const op = peek();
    if (!op || op.t !== 'op') fail(src, `expected an operator after "${sel.v}"`);
    pos++;
    return { kind: 'cmp', selector: sel.v.split('.'), op: op.v, value: parseValue() };
  };
  const parseValue = (): FilterValue => {
    const v = peek();
    if (!v || (v.t !== 'str' && v.t !== 'word')) fail(src, 'expected a value');
    pos++;
    if (v.t === 'word' && peek()?.t === '(') {
      pos++;
      const args: string[] = [];
      while (peek() && peek()!.t !== ')') {
        const a = peek()!;
        if (a.t !== 'str' && a.t !== 'word') fail(src, `bad argument to ${v.v}()`);
        args.push(a.v);
        pos++;
        if (peek()?.t === ',') pos++;
      }
      if (peek()?.t !== ')') fail(src, `missing ) after ${v.v}(`);
      pos++;
      const known = ['starts_with', 'ends_with', 'has_substring', 'one_of', 'monitoring.regex.full_match'];
      if (!known.includes(v.v)) fail(src, `unknown function ${v.v}()`);
      return { kind: 'fn', name: v.v, args };
    }
    return { kind: 'literal', value: v.v };
  };

  const node = parseOr();
  if (pos !== toks.length) fail(src, `unexpected "${toks[pos].v}"`);
  return node;
}

function matchValue(actual: unknown, op: string, value: FilterValue): boolean {
  if (op === ':' && actual !== null && typeof actual === 'object') {
    // `labels : key` = the map has that key.
    return value.kind === 'literal' && Object.prototype.hasOwnProperty.call(actual, value.value);
  }
  const s = actual === undefined || actual === null ? '' : typeof actual === 'object' ? JSON.stringify(actual) : String(actual);
  let hit: boolean;
  if (value.kind === 'fn') {
    const [a0 = ''] = value.args;
    switch (value.name) {
      case 'starts_with': hit = s.startsWith(a0); break;
      case 'ends_with': hit = s.endsWith(a0); break;
      case 'has_substring': hit = s.includes(a0); break;
      case 'one_of': hit = value.args.includes(s); break;
      default: hit = safeRegex(a0).test(s); break;
    }
    return op === '!=' ? !hit : hit;
  }
  const v = value.value;
  switch (op) {
    case '=': return s === v;
    case '!=': return s !== v;
    case ':': return s.toLowerCase().includes(v.toLowerCase());
    default: {
      const a = Number(s);
      const b = Number(v);
      const [x, y] = Number.isFinite(a) && Number.isFinite(b) ? [a, b] : [s as any, v as any];
      return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
    }
  }
}

function safeRegex(re: string): RegExp {
  try {
    return new RegExp(`^(?:${re})$`);
  } catch {
    throw new EmulatorError(Code.INVALID_ARGUMENT, `Invalid regular expression "${re}" in filter.`);
  }
}

/** Evaluate a parsed filter against an object through `resolve`. */
export function evalFilter(node: FilterNode | undefined, resolve: Resolver): boolean {
  if (!node) return true;
  switch (node.kind) {
    case 'and': return node.items.every((n) => evalFilter(n, resolve));
    case 'or': return node.items.some((n) => evalFilter(n, resolve));
    case 'not': return !evalFilter(node.item, resolve);
    default: return matchValue(resolve(node.selector), node.op, node.value);
  }
}

/** Every selector a filter mentions (e.g. to check that `metric.type` is constrained). */
export function selectors(node: FilterNode | undefined): string[] {
  if (!node) return [];
  if (node.kind === 'cmp') return [node.selector.join('.')];
  if (node.kind === 'not') return selectors(node.item);
  return node.items.flatMap(selectors);
}

/**
 * A resolver for list filters over a stored resource: selectors are snake_case or
 * camelCase paths; `user_label.k` and `user_labels.k` both address `userLabels[k]`;
 * `special` resolves computed selectors such as `identifier_case`.
 */
export function objectResolver(obj: any, special: Record<string, () => unknown> = {}): Resolver {
  const maps = new Set(['userLabels', 'labels', 'serviceLabels']);
  return (sel) => {
    const joined = sel.join('.');
    if (special[joined]) return special[joined]();
    let cur: any = obj;
    for (let i = 0; i < sel.length; i++) {
      if (cur === undefined || cur === null) return undefined;
      let key = sel[i].replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
      if (key === 'userLabel') key = 'userLabels';
      if (key === 'label') key = 'labels';
      if (maps.has(key) && i + 1 < sel.length) return cur[key]?.[sel.slice(i + 1).join('.')];
      cur = cur[key];
    }
    return cur;
  };
}
