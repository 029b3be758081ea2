/**
 * Generic Monitoring CRUD: Create / Get / List / Update / Delete for any
 * `MonitoringResourceType`, with what the four collections share — caller-chosen or
 * server-assigned IDs, ALREADY_EXISTS and NOT_FOUND, list filters and paging (with
 * `order_by` and `total_size` where the type has them), update masks or full
 * replacement. Handlers take the core and the gRPC request and return the response.
 */
import type { EmulatorCore } from '../../core';
import { Code, EmulatorError } from '../../errors';
import { evalFilter, objectResolver, parseFilter } from './filter';
import { stripOneofs } from './oneofs';
import { sortBy } from './order-by';
import type { MonitoringResourceType } from './resource-type';
import { applyMask, byProjectNumber, clone, compact, maskPaths, monitoringState, notFound, numericId, opaqueId, paginate } from './state';

/** A gRPC handler and whether it counts as a read or a write. */
export type Handler = (core: EmulatorCore, req: any) => unknown;
export type HandlerTable = Record<string, [Handler, 'read' | 'write']>;

function storeOf(core: EmulatorCore, t: MonitoringResourceType): Record<string, any> {
  return monitoringState(core)[t.store];
}

/** The name a resource of type `t` is stored and returned under. */
function keyOf(core: EmulatorCore, t: MonitoringResourceType, name: string): string {
  return t.numbered ? byProjectNumber(core, name) : name;
}

/** The stored resource of type `t` named `name` (either project form), or NOT_FOUND. */
export function stored(core: EmulatorCore, t: MonitoringResourceType, name: string): any {
  t.checkName?.(name);
  const res = storeOf(core, t)[keyOf(core, t, name)];
  if (!res) {
    if (t.notFound) t.notFound(core, name);
    notFound(name);
  }
  return res;
}

function newId(core: EmulatorCore, t: MonitoringResourceType, req: any, path: string): string {
  const given = t.id.field ? req[t.id.field] : undefined;
  if (given) {
    t.id.check?.(String(given));
    return String(given);
  }
  if (t.id.assign === 'opaque') return opaqueId();
  const store = storeOf(core, t);
  return numericId((id) => !!store[`${path}/${id}`]);
}

function create(core: EmulatorCore, t: MonitoringResourceType, req: any): any {
  const parent = String(req[t.parentField] ?? '');
  const { project, path } = t.collection(core, parent);
  const name = keyOf(core, t, `${path}/${newId(core, t, req, path)}`);
  const store = storeOf(core, t);
  if (store[name]) throw new EmulatorError(Code.ALREADY_EXISTS, `Resource '${name}' already exists.`);
  const res = compact(t.create(stripOneofs(clone(req[t.field] ?? {})), { core, project, parent, name }));
  store[name] = res;
  return clone(res);
}

function list(core: EmulatorCore, t: MonitoringResourceType, req: any): any {
  const prefix = keyOf(core, t, t.listPrefix(core, String(req[t.parentField] ?? '')));
  const filter = parseFilter(req.filter);
  const all = Object.values(storeOf(core, t)).filter(
    (r: any) => r.name.startsWith(prefix) && evalFilter(filter, objectResolver(r, t.filterFields?.(r))),
  );
  const items = t.ordered ? sortBy(all, req.orderBy) : all;
  const { page, nextPageToken } = paginate(items, req.pageSize, req.pageToken);
  return { [t.listField]: clone(page), nextPageToken, ...(t.ordered ? { totalSize: items.length } : {}) };
}

function update(core: EmulatorCore, t: MonitoringResourceType, req: any): any {
  const incoming = stripOneofs(clone(req[t.field] ?? {}));
  const existing = stored(core, t, String(incoming.name ?? ''));
  const name: string = existing.name;
  const ctx = { core, name, existing };
  t.checkUpdate?.(incoming, ctx);
  const paths = maskPaths(req.updateMask);
  const next = paths
    ? applyMask(existing, t.maskInput ? t.maskInput(incoming) : incoming, paths, t.mutable, t.mask)
    : t.replace(incoming, ctx);
  compact(next);
  t.finishUpdate?.(next, ctx);
  compact(next);
  storeOf(core, t)[name] = next;
  return clone(next);
}

function remove(core: EmulatorCore, t: MonitoringResourceType, req: any): any {
  const { name } = stored(core, t, String(req.name ?? ''));
  t.beforeDelete?.(core, name, req);
  delete storeOf(core, t)[name];
  return {};
}

/** The five gRPC methods of a type, keyed by method name. */
export function crudMethods(t: MonitoringResourceType): HandlerTable {
  return {
    [`Create${t.noun}`]: [(core, req) => create(core, t, req), 'write'],
    [`Get${t.noun}`]: [(core, req) => clone(stored(core, t, String(req.name ?? ''))), 'read'],
    [`List${t.plural}`]: [(core, req) => list(core, t, req), 'read'],
    [`Update${t.noun}`]: [(core, req) => update(core, t, req), 'write'],
    [`Delete${t.noun}`]: [(core, req) => remove(core, t, req), 'write'],
  };
}
