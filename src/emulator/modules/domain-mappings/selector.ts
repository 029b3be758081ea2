/**
 * Kubernetes label selectors, as the v1 API's `labelSelector` takes them:
 * `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`, joined by commas.
 */
import { Code, EmulatorError } from '../../errors';

/** Split on commas outside parentheses. */
function terms(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter(Boolean);
}

function matchesTerm(term: string, labels: Record<string, string>): boolean {
  let m = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (m) {
    const values = m[3].split(',').map((v) => v.trim());
    const has = m[1] in labels && values.includes(labels[m[1]]);
    return m[2] === 'in' ? has : !has;
  }
  m = /^([^\s!=]+)\s*(!=|==|=)\s*(\S*)$/.exec(term);
  if (m) return m[2] === '!=' ? labels[m[1]] !== m[3] : labels[m[1]] === m[3];
  m = /^(!?)([^\s!=()]+)$/.exec(term);
  if (m) return m[1] ? !(m[2] in labels) : m[2] in labels;
  throw new EmulatorError(Code.INVALID_ARGUMENT, `Invalid label selector '${term}'.`);
}

/** Whether the labels satisfy every term of the selector (an empty selector matches all). */
export function matchesSelector(selector: string, labels: Record<string, string>): boolean {
  return terms(selector).every((t) => matchesTerm(t, labels));
}
