/**
 * The one ajv configuration of runctl's schemas, shared by run-time compilation
 * (`schemas.ts`) and the build-time standalone code (`schema-standalone.ts`): both must
 * produce the same validators, down to each error.
 *
 * ajv is required on first use: a start with precompiled validators does not load it.
 */
import type Ajv2020 from 'ajv/dist/2020';
import { parseDuration } from '../util/duration';

/** Bounds of the `x-runctl-duration` keyword. */
export interface DurationBounds {
  minimum?: string;
  maximum?: string;
}

/**
 * The `x-runctl-duration` check: duration bounds ("timeout <= 3600s") cannot be written
 * as a pattern across units. Standalone code calls it through `schema-standalone.ts`.
 */
export function durationWithin(bounds: DurationBounds, data: unknown): boolean {
  const secs = typeof data === 'string' ? parseDuration(data) : undefined;
  if (secs === undefined) return true; // the pattern reports malformed durations
  if (bounds.minimum !== undefined && secs < (parseDuration(bounds.minimum) ?? 0)) return false;
  if (bounds.maximum !== undefined && secs > (parseDuration(bounds.maximum) ?? Infinity)) return false;
  return true;
}

/**
 * A configured ajv. `strict: false` for compiling branches on their own;
 * `source: true` keeps the generated code (for ajv's standalone output).
 */
export function createAjv(strict = true, source = false): Ajv2020 {
  const { default: Ajv } = require('ajv/dist/2020') as typeof import('ajv/dist/2020');
  const { default: addFormats } = require('ajv-formats') as typeof import('ajv-formats');
  const ajv = new Ajv({ allErrors: true, verbose: true, strict, strictRequired: false, allowUnionTypes: true, code: { source } });
  addFormats(ajv);
  // Annotations: they change nothing about validity.
  ajv.addKeyword({ keyword: 'x-runctl-reference', schemaType: 'object' });
  ajv.addKeyword({ keyword: 'x-runctl-path', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'x-runctl-message', schemaType: 'string' });
  // Hints for fields that do not exist here but do elsewhere (a Service's `gpu`: use GpuModel).
  ajv.addKeyword({ keyword: 'x-runctl-unknown-fields', schemaType: 'object' });
  ajv.addKeyword({ keyword: 'x-runctl-duration', schemaType: 'object', errors: false, validate: durationWithin });
  return ajv;
}
