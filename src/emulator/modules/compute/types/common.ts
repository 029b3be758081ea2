/**
 * Helpers shared by the Compute resource types: enum fields with defaults, the
 * `setLabels` verb, and dropping empty values the client always sends.
 */
import type { ResourceVerb } from '../resource-type';
import { conditionNotMet, invalid } from '../errors';
import { checkLabels } from '../crud';

/** An enum-valued string field: default when unset, 400 when not one of `allowed`. */
export function oneOf(field: string, value: unknown, allowed: string[], dflt?: string): string | undefined {
  if (value === undefined || value === null || value === '') return dflt;
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw invalid(field, value, `Must be one of [${allowed.join(', ')}].`);
  }
  return value;
}

/** Remove keys whose value is undefined, an empty object or an empty array. */
export function compact(obj: Record<string, any>): Record<string, any> {
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) delete obj[k];
    else if (Array.isArray(v) && v.length === 0) delete obj[k];
    else if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) delete obj[k];
  }
  return obj;
}

/** `setLabels`: replaces all labels; `labelFingerprint` must be the current one (412 otherwise). */
export const setLabelsVerb: ResourceVerb = {
  verb: 'setLabels',
  method: 'SetLabels',
  apply(current, body) {
    if ((body?.labelFingerprint ?? '') !== current.labelFingerprint) {
      throw conditionNotMet('Labels fingerprint either invalid or resource labels have changed');
    }
    const labels = checkLabels(body?.labels);
    if (Object.keys(labels).length) current.labels = labels;
    else delete current.labels;
    return current;
  },
};

/** A non-empty array field, or 400. */
export function nonEmptyArray(field: string, value: unknown): unknown[] {
  if (!Array.isArray(value) || value.length === 0) throw invalid(field, value ?? '', 'Must contain at least one element.');
  return value;
}
