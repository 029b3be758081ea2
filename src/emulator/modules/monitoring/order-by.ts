/**
 * `order_by` of Monitoring list methods: a comma-separated list of fields, each
 * optionally prefixed with `-` or followed by ` desc` for descending order
 * (https://cloud.google.com/monitoring/api/v3/sorting-and-filtering).
 */
import { objectResolver } from './filter';

/** Sort `items` by an `order_by` expression; without one, keep the stored (creation) order. */
export function sortBy<T>(items: T[], orderBy: unknown): T[] {
  const spec = String(orderBy ?? '').trim();
  if (!spec) return items;
  const keys = spec.split(',').map((part) => {
    let f = part.trim();
    let desc = false;
    if (f.startsWith('-')) { desc = true; f = f.slice(1); }
    const m = /^(\S+)\s+(asc|desc)$/i.exec(f);
    if (m) { f = m[1]; desc = m[2].toLowerCase() === 'desc'; }
    return { path: f.split('.'), desc };
  });
  return [...items].sort((a, b) => {
    for (const k of keys) {
      const va = String(objectResolver(a)(k.path) ?? '');
      const vb = String(objectResolver(b)(k.path) ?? '');
      if (va !== vb) return (va < vb ? -1 : 1) * (k.desc ? -1 : 1);
    }
    return 0;
  });
}
