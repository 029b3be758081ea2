/**
 * Binary Authorization state and REST helpers: the per-project policies, attestors,
 * the attested images, errors in the API's wording, and JSON field checks (the real
 * API rejects unknown fields: `Invalid JSON payload received. Unknown name "x"`).
 */
import type { EmulatorCore } from '../../core';
import { EmulatorError, Code } from '../../errors';

/** The `binauthz` namespace of the emulator state. */
export interface BinauthzState {
  /** Policies by project ID (only projects whose policy was read or written). */
  policies: Record<string, any>;
  /** Attestors by name (`projects/p/attestors/a`), in creation order. */
  attestors: Record<string, any>;
  /** Images that carry an attestation (see attestations.ts for the matching rule). */
  attested: string[];
}

/** This emulator's Binary Authorization state. */
export function binauthzState(core: EmulatorCore): BinauthzState {
  const s = core.ns<BinauthzState>('binauthz', () => ({ policies: {}, attestors: {}, attested: [] }));
  s.policies ??= {};
  s.attestors ??= {};
  s.attested ??= [];
  return s;
}

/** Throw 400 INVALID_ARGUMENT. */
export function invalid(message: string): never {
  throw new EmulatorError(Code.INVALID_ARGUMENT, message);
}

/** Deep copy. */
export function clone<T>(v: T): T {
  return v === undefined ? v : JSON.parse(JSON.stringify(v));
}

/** `snake_case` → `camelCase` (the REST JSON parser accepts both spellings). */
function camel(k: string): string {
  return k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Normalise field names of a JSON body to camelCase, except below map fields (whose
 * keys are data, e.g. cluster specs), and reject unknown fields. `schema` maps each
 * known field to a nested schema, `'map'` (a map of nested schema `items`) or `true`.
 */
export type Schema = { [field: string]: true | Schema | { map: Schema } | { list: Schema } };

export function checkFields(body: any, schema: Schema, at: string): any {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    invalid(`Invalid JSON payload received. Expected an object at '${at}'.`);
  }
  const out: Record<string, any> = {};
  for (const [rawKey, value] of Object.entries(body)) {
    const key = camel(rawKey);
    const sub = schema[key];
    if (!sub) invalid(`Invalid JSON payload received. Unknown name "${rawKey}" at '${at}': Cannot find field.`);
    if (value === null || value === undefined) continue;
    if (sub === true) out[key] = value;
    else if ('map' in sub && typeof (sub as any).map === 'object') {
      if (typeof value !== 'object' || Array.isArray(value)) invalid(`Invalid JSON payload received. Expected an object at '${at}.${rawKey}'.`);
      out[key] = Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, checkFields(v, (sub as any).map, `${at}.${rawKey}[${k}]`)]));
    } else if ('list' in sub && typeof (sub as any).list === 'object') {
      if (!Array.isArray(value)) invalid(`Invalid JSON payload received. Expected a list at '${at}.${rawKey}'.`);
      out[key] = (value as any[]).map((v, i) => checkFields(v, (sub as any).list, `${at}.${rawKey}[${i}]`));
    } else out[key] = checkFields(value, sub as Schema, `${at}.${rawKey}`);
  }
  return out;
}

/** Stale-etag error (AIP-154: ABORTED, HTTP 409). */
export function etagMismatch(name: string): never {
  throw new EmulatorError(Code.ABORTED, `The etag of ${name} does not match its current etag; re-read the resource and retry.`);
}
