/**
 * Cloud Monitoring state and the helpers every Monitoring handler shares: resource
 * names, server-assigned IDs, paging, update masks and mutation records.
 *
 * Resources are stored in their gRPC wire shape (camelCase fields, enum names,
 * `Timestamp`/`Duration` as `{seconds, nanos}`) so handlers can return them as is.
 */
import { randomBytes } from 'node:crypto';
import type { EmulatorCore } from '../../core';
import { EmulatorError, Code } from '../../errors';

/** The `monitoring` namespace of the emulator state. */
export interface MonitoringState {
  /** Services by name (`projects/p/services/s`), in creation order. */
  services: Record<string, any>;
  /** SLOs by name (`projects/p/services/s/serviceLevelObjectives/o`). */
  slos: Record<string, any>;
  /** Alert policies by name (`projects/p/alertPolicies/123`). */
  alertPolicies: Record<string, any>;
  /** Notification channels by name (`projects/p/notificationChannels/123`). */
  channels: Record<string, any>;
}

/** State objects whose service and SLO names are known to be in number form. */
const numbered = new WeakSet<MonitoringState>();

/** The Monitoring state of this emulator (created on first use). */
export function monitoringState(core: EmulatorCore): MonitoringState {
  const s = core.ns<MonitoringState>('monitoring', () => ({ services: {}, slos: {}, alertPolicies: {}, channels: {} }));
  s.services ??= {};
  s.slos ??= {};
  s.alertPolicies ??= {};
  s.channels ??= {};
  if (!numbered.has(s)) {
    // State written before services and SLOs were named by project number: rename once.
    for (const map of [s.services, s.slos]) {
      for (const [name, res] of Object.entries(map)) {
        const n = byProjectNumber(core, name);
        if (n === name) continue;
        delete map[name];
        map[n] = { ...res, name: n };
      }
    }
    numbered.add(s);
  }
  return s;
}

/**
 * `projects/{id}/...` as `projects/{number}/...`: Monitoring names services and SLOs by
 * the project number whichever form was requested (spec/monitoring.md, "Names"). The
 * emulator has one project number for every project (`--project-number`).
 */
export function byProjectNumber(core: EmulatorCore, name: string): string {
  return name.replace(/^projects\/[^/]+(\/|$)/, `projects/${core.projectNumber}$1`);
}

/** Who the emulator records as the author of a change (real API: the caller's email). */
export const MUTATED_BY = 'emulator@runctl.local';

/** A `MutationRecord` for now. */
export function mutationRecord(core: EmulatorCore): { mutateTime: { seconds: string; nanos: number }; mutatedBy: string } {
  return { mutateTime: timestamp(core.clock.now()), mutatedBy: MUTATED_BY };
}

/** A protobuf `Timestamp` for a time in ms. */
export function timestamp(ms: number): { seconds: string; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds: String(seconds), nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

/** Milliseconds of a protobuf `Timestamp` (or an ISO string / ms number). */
export function timestampMs(t: any): number | undefined {
  if (t === undefined || t === null) return undefined;
  if (typeof t === 'number') return t;
  if (typeof t === 'string') {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? undefined : ms;
  }
  if (t instanceof Date) return t.getTime();
  return Number(t.seconds ?? 0) * 1000 + Number(t.nanos ?? 0) / 1e6;
}

/** Seconds of a protobuf `Duration` (`{seconds, nanos}`), or undefined when absent. */
export function durationSeconds(d: any): number | undefined {
  if (d === undefined || d === null) return undefined;
  if (typeof d === 'string') return parseDurationString(d);
  return Number(d.seconds ?? 0) + Number(d.nanos ?? 0) / 1e9;
}

/** Parse `"3600s"`, `"60m"`, `"1h"`, `"1d"`; undefined when malformed. */
export function parseDurationString(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

/** Throw INVALID_ARGUMENT. */
export function invalid(message: string): never {
  throw new EmulatorError(Code.INVALID_ARGUMENT, message);
}

/** Throw NOT_FOUND in the wording Monitoring uses. */
export function notFound(name: string): never {
  throw new EmulatorError(Code.NOT_FOUND, `Requested entity was not found: ${name}`);
}

/** Parse `projects/{p}` (the parent of every Monitoring collection). */
export function projectOf(parent: unknown, field = 'name'): string {
  const m = /^projects\/([^/]+)$/.exec(String(parent ?? ''));
  if (!m) invalid(`Field ${field} had an invalid value of "${parent ?? ''}": expected "projects/[PROJECT_ID_OR_NUMBER]".`);
  return m[1];
}

/** A server-assigned numeric ID (alert policies, conditions, channels), unique in `taken`. */
export function numericId(taken: (id: string) => boolean): string {
  for (;;) {
    const n = BigInt(`0x${randomBytes(8).toString('hex')}`) % 9_000_000_000_000_000_000n + 1_000_000_000_000_000_000n;
    const id = n.toString();
    if (!taken(id)) return id;
  }
}

/** A server-assigned opaque ID (services, SLOs): 22 URL-safe characters. */
export function opaqueId(): string {
  return randomBytes(16).toString('base64url').slice(0, 22);
}

/** Deep copy of a stored resource (handlers never hand out references to state). */
export function clone<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

/** Default page size of list methods; small so that clients' pagination is exercised. */
export const DEFAULT_PAGE_SIZE = 50;

/** One page of `items` for `page_size` / `page_token`. */
export function paginate<T>(items: T[], pageSize: unknown, pageToken: unknown): { page: T[]; nextPageToken: string } {
  const size = Number(pageSize ?? 0);
  if (!Number.isInteger(size) || size < 0) invalid('page_size must be a non-negative integer.');
  let offset = 0;
  if (pageToken) {
    const m = /^o:(\d+)$/.exec(Buffer.from(String(pageToken), 'base64url').toString('utf8'));
    if (!m) invalid(`Invalid page token: ${pageToken}`);
    offset = Number(m[1]);
  }
  const limit = size === 0 ? DEFAULT_PAGE_SIZE : Math.min(size, 1000);
  const page = items.slice(offset, offset + limit);
  const next = offset + limit < items.length ? Buffer.from(`o:${offset + limit}`).toString('base64url') : '';
  return { page, nextPageToken: next };
}

/** `display_name` → `displayName`. */
export function camel(segment: string): string {
  return segment.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** How an update mask applies to a type: alias first segments, map fields, oneof groups. */
export interface MaskOptions {
  /** First segments spelled otherwise (`user_label` → `userLabels`). */
  aliases?: Record<string, string>;
  /** Sibling fields of a oneof: setting one clears the others. */
  oneofs?: string[][];
  /** Map fields: below them the rest of a path is a literal key. */
  maps?: string[];
}

/**
 * Apply an update mask: each path (snake_case or camelCase, dotted) is copied from
 * `incoming` to a copy of `existing`, or removed when absent in `incoming`. Paths whose
 * first segment is not in `allowed` are INVALID_ARGUMENT. `aliases` maps a first segment
 * to another (`user_label` → `userLabels`); `oneofs` lists sibling fields that a path clears.
 */
export function applyMask(
  existing: any,
  incoming: any,
  paths: string[],
  allowed: string[],
  opts: MaskOptions = {},
): any {
  const out = clone(existing);
  for (const raw of paths) {
    const segs = raw.split('.');
    const first = opts.aliases?.[segs[0]] ?? camel(segs[0]);
    if (!allowed.includes(first)) invalid(`Invalid update_mask path: "${raw}" cannot be updated.`);
    // Below a map field the rest of the path is a literal key, not a field name.
    const isMap = opts.maps?.includes(first);
    const keys = [first, ...(isMap ? (segs.length > 1 ? [segs.slice(1).join('.')] : []) : segs.slice(1).map(camel))];
    for (const group of opts.oneofs ?? []) {
      if (group.includes(first) && getPath(incoming, keys) !== undefined) {
        for (const other of group) if (other !== first) delete out[other];
      }
    }
    const value = getPath(incoming, keys);
    setPath(out, keys, value === undefined ? undefined : clone(value));
  }
  return out;
}

function getPath(obj: any, keys: string[]): any {
  let cur = obj;
  for (const k of keys) {
    if (cur === undefined || cur === null) return undefined;
    cur = cur[k];
  }
  return cur;
}

function setPath(obj: any, keys: string[], value: any): void {
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = {};
    cur = cur[k];
  }
  const last = keys[keys.length - 1];
  if (value === undefined) delete cur[last];
  else cur[last] = value;
}

/** Remove undefined/empty optional fields so stored objects stay clean. */
export function compact<T extends Record<string, any>>(obj: T): T {
  for (const k of Object.keys(obj)) if (obj[k] === undefined) delete obj[k];
  return obj;
}

/** The field-mask paths of a request, or undefined when no mask was sent. */
export function maskPaths(mask: any): string[] | undefined {
  const paths: string[] = (mask?.paths ?? []).filter((p: string) => p);
  return paths.length ? paths.flatMap((p) => p.split(',').map((s) => s.trim())) : undefined;
}

/** Validate user labels like the API (keys start with a letter; ≤ 63 chars; ≤ 64 entries). */
export function validateUserLabels(labels: Record<string, string> | undefined, field: string): void {
  if (!labels) return;
  const entries = Object.entries(labels);
  if (entries.length > 64) invalid(`Field ${field} has more than 64 entries.`);
  for (const [k, v] of entries) {
    if (!/^[a-z][a-z0-9_-]{0,62}$/.test(k)) invalid(`Field ${field} had an invalid key "${k}": keys must start with a lowercase letter and contain only lowercase letters, digits, underscores and dashes (at most 63 characters).`);
    if (!/^[a-z0-9_-]{0,63}$/.test(v ?? '')) invalid(`Field ${field}.${k} had an invalid value "${v}": values may contain only lowercase letters, digits, underscores and dashes (at most 63 characters).`);
  }
}
