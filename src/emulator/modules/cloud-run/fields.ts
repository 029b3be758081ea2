/**
 * Field classes of a Service (output-only vs. the mutable "spec"), update-mask merging,
 * and configuration equality with proto3 semantics (an unset field equals its zero value).
 */
import { fieldNames } from './protos';
import { violation, clone, type Obj } from './state';

/** Set by the server; ignored on input (`run-proto` OUTPUT_ONLY + read-back metadata). */
export const OUTPUT_ONLY = new Set([
  'uid', 'generation', 'createTime', 'updateTime', 'deleteTime', 'expireTime', 'creator',
  'lastModifier', 'observedGeneration', 'terminalCondition', 'conditions', 'latestReadyRevision',
  'latestCreatedRevision', 'trafficStatuses', 'uri', 'urls', 'satisfiesPzs',
  'threatDetectionEnabled', 'reconciling', 'etag',
]);

/** The mutable part of a Service (what create and update take from the request). */
export function specOf(service: Obj | undefined): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(service ?? {})) {
    if (k === 'name' || OUTPUT_ONLY.has(k) || v === undefined) continue;
    out[k] = clone(v);
  }
  // Output-only parts nested in otherwise mutable fields.
  if (out.buildConfig) delete out.buildConfig.name;
  if (out.multiRegionSettings) delete out.multiRegionSettings.multiRegionId;
  for (const c of out.template?.containers ?? []) delete c.buildInfo;
  return out;
}

const snakeToCamel = (s: string) => s.replace(/_([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());

/**
 * Apply an update mask: each path (snake_case or camelCase, dotted) is copied from
 * `input` into a copy of `current`; a path absent from `input` is cleared.
 */
export function applyMask(current: Obj, input: Obj, paths: string[], field: string): Obj {
  const known = fieldNames('google.cloud.run.v2.Service');
  const out = clone(current);
  for (const raw of paths.flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean)) {
    const segs = raw.split('.').map(snakeToCamel);
    if (!known.has(segs[0]) || segs[0] === 'name') throw violation(field, `invalid field path '${raw}'.`);
    if (OUTPUT_ONLY.has(segs[0])) continue;
    let src: any = input;
    for (const s of segs) src = src == null ? undefined : src[s];
    let dst: any = out;
    for (const s of segs.slice(0, -1)) {
      if (dst[s] == null || typeof dst[s] !== 'object') dst[s] = {};
      dst = dst[s];
    }
    const leaf = segs[segs.length - 1];
    if (src === undefined) delete dst[leaf];
    else dst[leaf] = clone(src);
  }
  return out;
}

/** Drop proto3 zero values and empty containers, sort keys: equal configs give equal output. */
export function prune(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(prune);
    return items.length ? items.map((v) => (v === undefined ? {} : v)) : undefined;
  }
  if (value && typeof value === 'object') {
    const out: Obj = {};
    for (const key of Object.keys(value).sort()) {
      const v = prune((value as Obj)[key]);
      if (v !== undefined) out[key] = v;
    }
    return Object.keys(out).length ? out : undefined;
  }
  if (value === '' || value === 0 || value === false || value === '0' || value === null) return undefined;
  return value;
}

/** Whether two configurations are the same under proto3 semantics. */
export function sameConfig(a: unknown, b: unknown): boolean {
  return JSON.stringify(prune(a) ?? null) === JSON.stringify(prune(b) ?? null);
}

/** A copy without one top-level key. */
export function omit(obj: Obj | undefined, key: string): Obj {
  const out = clone(obj ?? {});
  delete out[key];
  return out;
}
