/**
 * proto-loader (with `oneofs: true`) adds a virtual property naming the field set in
 * each oneof (`identifier: 'cloudRun'`, `period: 'rollingPeriod'`). Those are request
 * artefacts, not data: strip them before storing so state holds only real fields.
 */
const ONEOF_NAMES = new Set([
  'identifier', 'period', 'type', 'method', 'sliCriteria', 'windowCriterion', 'condition',
  'value', 'schedule', 'evaluate', 'options', 'kind',
]);

/** Remove proto-loader's virtual oneof properties, recursively (returns the same object). */
export function stripOneofs<T>(value: T): T {
  if (Array.isArray(value)) {
    value.forEach(stripOneofs);
  } else if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    const obj = value as Record<string, any>;
    for (const [k, v] of Object.entries(obj)) {
      if (ONEOF_NAMES.has(k) && typeof v === 'string' && v !== k && obj[v] !== undefined) delete obj[k];
      else stripOneofs(v);
    }
  }
  return value;
}
