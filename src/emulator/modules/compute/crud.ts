/**
 * Generic Compute CRUD: insert / get / list / delete / patch / update and verbs for any
 * `ResourceType`, with the behaviour every Compute collection shares — RFC 1035 names,
 * 409 on duplicates, 404 on missing, 412 on a stale fingerprint, 400
 * `resourceInUseByAnotherResource` when deleting something referenced, `requestId`
 * replay, and operations that apply the change when they are done.
 */
import type { EmulatorCore } from '../../core';
import type { Router, HttpRequest } from '../../http';
import type { BuildContext, ReadContext, ResourceType, ResourceVerb } from './resource-type';
import type { ComputeState } from './state';
import {
  computeState, collectionPath, collectionOf, projectOf, selfLink, relOf, newId, computeTime,
  newFingerprint, labelFingerprint, publicView, clone,
} from './state';
import { alreadyExists, checkName, conditionNotMet, inUse, invalid, notFound, notReady } from './errors';
import { pendingInsert, resolveRef } from './refs';
import { replayed, settleDue, startOperation } from './operations';
import { parseFilter, order, paginate } from './list';

/** Fields the server owns; ignored in request bodies. */
const SYSTEM_FIELDS = ['kind', 'id', 'creationTimestamp', 'selfLink', 'selfLinkWithId', 'fingerprint', 'labelFingerprint', 'region', 'zone'];
/** Output-only fields some types compute at read time; ignored in request bodies. */
const DERIVED_FIELDS = ['usedBy', 'users', 'size', 'status', 'subjectAlternativeNames', 'expireTime'];

const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;

/** Validate a labels map (GCP label rules). */
export function checkLabels(labels: unknown): Record<string, string> {
  if (labels === undefined || labels === null) return {};
  if (typeof labels !== 'object' || Array.isArray(labels)) throw invalid('labels', labels, 'Labels must be a map.');
  const out: Record<string, string> = {};
  const entries = Object.entries(labels as Record<string, unknown>);
  if (entries.length > 64) throw invalid('labels', `${entries.length} labels`, 'At most 64 labels are allowed.');
  for (const [k, v] of entries) {
    if (!LABEL_KEY.test(k)) throw invalid(`labels.${k}`, k, 'Label keys must start with a lowercase letter and contain only lowercase letters, digits, underscores and dashes (at most 63).');
    if (typeof v !== 'string' || !LABEL_VALUE.test(v)) throw invalid(`labels.${k}`, v, 'Label values may contain only lowercase letters, digits, underscores and dashes (at most 63).');
    out[k] = v;
  }
  return out;
}

/** Request body without server-owned fields. */
function userInput(body: unknown): Record<string, any> {
  const src = body && typeof body === 'object' && !Array.isArray(body) ? clone(body as Record<string, any>) : {};
  for (const f of [...SYSTEM_FIELDS, ...DERIVED_FIELDS]) delete src[f];
  return src;
}

/** Stored resource without server-owned and internal fields. */
function userFields(res: Record<string, any>): Record<string, any> {
  const out = publicView(res);
  for (const f of SYSTEM_FIELDS) delete out[f];
  return out;
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return clone(patch);
  const out: Record<string, any> = target && typeof target === 'object' && !Array.isArray(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** The generic machinery for a set of types (which reference one another). */
export class Crud {
  constructor(private readonly core: EmulatorCore, private readonly types: ResourceType[]) {}

  private get st(): ComputeState {
    return computeState(this.core);
  }

  /** Register the routes of every type. */
  register(router: Router): void {
    for (const t of this.types) this.routes(router, t);
  }

  /** Relative paths of resources that reference `rel` (same project), sorted. */
  usersOf(rel: string): string[] {
    const project = projectOf(rel);
    const users: string[] = [];
    for (const [path, res] of Object.entries(this.st.resources)) {
      if (path === rel || projectOf(path) !== project) continue;
      const type = this.typeOf(path);
      const refs = (type?.refs?.(res) ?? []).filter((r): r is string => !!r).map(relOf);
      if (refs.includes(rel)) users.push(path);
    }
    return users.sort();
  }

  private typeOf(rel: string): ResourceType | undefined {
    const c = collectionOf(rel);
    const regional = rel.split('/')[2] === 'regions';
    return this.types.find((t) => t.collection === c && !!t.regional === regional);
  }

  private ctx(req: HttpRequest, previous?: Record<string, any>): BuildContext {
    const st = this.st;
    const project = req.params.project;
    return {
      core: this.core, st, project, region: req.params.region, previous,
      ref: (field, value, collections) => resolveRef(st, project, field, value, collections),
    };
  }

  private readCtx(): ReadContext {
    return { core: this.core, st: this.st, usersOf: (rel) => this.usersOf(rel) };
  }

  /** The public JSON of a stored resource. */
  render(type: ResourceType, res: Record<string, any>): Record<string, any> {
    const out = clone(publicView(res));
    return type.decorate ? type.decorate(out, this.readCtx()) : out;
  }

  private relFor(type: ResourceType, req: HttpRequest, name: string): string {
    return `${collectionPath(req.params.project, type.collection, type.regional ? req.params.region : undefined)}/${name}`;
  }

  /** The stored resource named by the path, or 404. */
  private existing(type: ResourceType, req: HttpRequest): { rel: string; res: Record<string, any> } {
    const name = checkName(type.param, req.params.name);
    const rel = this.relFor(type, req, name);
    const res = this.st.resources[rel];
    if (!res) throw notFound(rel);
    return { rel, res };
  }

  /** A mutation of a resource whose previous operation still runs is refused. */
  private ensureIdle(rel: string): void {
    for (const rec of Object.values(this.st.ops)) {
      if (rec.op.status !== 'DONE' && rec.writes.some((w) => w.path === rel)) throw notReady(rel);
    }
  }

  private op(req: HttpRequest, type: ResourceType, method: string, operationType: string, rel: string, value: Record<string, any> | null, id: string) {
    return startOperation(this.core, req, {
      method: `${type.service}.${method}`,
      project: req.params.project,
      region: type.regional ? req.params.region : undefined,
      // Regional operations name the API method (`compute.regionNetworkEndpointGroups.insert`);
      // global ones the bare verb (`insert`) — recorded real-API exchanges, issue 13, difference 8.
      operationType: type.regional ? `compute.region${type.collection[0].toUpperCase()}${type.collection.slice(1)}.${operationType}` : operationType,
      targetRel: rel,
      targetId: id,
      writes: [{ path: rel, value }],
    });
  }

  insert(type: ResourceType, req: HttpRequest) {
    const replay = replayed(this.core, req.params.project, req);
    if (replay) return replay;
    const body = req.body && typeof req.body === 'object' ? req.body : {};
    const name = checkName('resource.name', body.name);
    const rel = this.relFor(type, req, name);
    if (this.st.resources[rel] || pendingInsert(this.st, rel)) throw alreadyExists(rel);
    const input = userInput(body);
    const labels = type.labels ? (type.labelsBySetLabelsOnly ? {} : checkLabels(input.labels)) : undefined;
    const built = type.build(input, this.ctx(req));
    const now = this.core.clock.now();
    const res: Record<string, any> = { kind: type.kind, id: newId(), creationTimestamp: computeTime(now), ...built, name, selfLink: selfLink(rel) };
    if (type.regional) res.region = selfLink(`projects/${req.params.project}/regions/${req.params.region}`);
    if (type.fingerprint) res.fingerprint = newFingerprint();
    if (labels) {
      if (Object.keys(labels).length) res.labels = labels;
      else delete res.labels;
      res.labelFingerprint = labelFingerprint(labels);
    }
    return this.op(req, type, 'Insert', 'insert', rel, res, res.id);
  }

  delete(type: ResourceType, req: HttpRequest) {
    const replay = replayed(this.core, req.params.project, req);
    if (replay) return replay;
    const { rel, res } = this.existing(type, req);
    this.ensureIdle(rel);
    const users = this.usersOf(rel);
    if (users.length) throw inUse(type.typeName, rel, users[0]);
    return this.op(req, type, 'Delete', 'delete', rel, null, res.id);
  }

  /** PATCH (merge) or PUT (replace). */
  change(type: ResourceType, req: HttpRequest, mode: 'patch' | 'update') {
    const replay = replayed(this.core, req.params.project, req);
    if (replay) return replay;
    const { rel, res } = this.existing(type, req);
    this.ensureIdle(rel);
    const input = userInput(req.body);
    if (type.fingerprint && (req.body?.fingerprint ?? '') !== res.fingerprint) throw conditionNotMet();
    if (input.name !== undefined && input.name !== res.name) {
      throw invalid('resource.name', input.name, 'The name of a resource cannot be changed.');
    }
    const merged = mode === 'patch' ? mergePatch(userFields(res), input) : { ...input, name: res.name };
    const built = type.build(merged, this.ctx(req, res));
    type.checkChange?.(res, built);
    const next: Record<string, any> = { kind: res.kind, id: res.id, creationTimestamp: res.creationTimestamp, ...built, name: res.name, selfLink: res.selfLink };
    if (res.region) next.region = res.region;
    if (type.fingerprint) next.fingerprint = newFingerprint();
    if (type.labels) {
      const labels = checkLabels(built.labels);
      if (Object.keys(labels).length) next.labels = labels;
      else delete next.labels;
      next.labelFingerprint = labelFingerprint(labels);
    }
    return this.op(req, type, mode === 'patch' ? 'Patch' : 'Update', mode, rel, next, res.id);
  }

  verb(type: ResourceType, verb: ResourceVerb, req: HttpRequest) {
    const replay = replayed(this.core, req.params.project, req);
    if (replay) return replay;
    const { rel, res } = this.existing(type, req);
    this.ensureIdle(rel);
    const updated = verb.apply(clone(res), req.body ?? {}, this.ctx(req, res));
    const next: Record<string, any> = { ...updated, kind: res.kind, id: res.id, creationTimestamp: res.creationTimestamp, name: res.name, selfLink: res.selfLink };
    if (type.fingerprint) next.fingerprint = newFingerprint();
    if (type.labels) next.labelFingerprint = labelFingerprint(next.labels);
    return this.op(req, type, verb.method, verb.verb, rel, next, res.id);
  }

  list(type: ResourceType, req: HttpRequest) {
    const listRel = collectionPath(req.params.project, type.collection, type.regional ? req.params.region : undefined);
    const pred = parseFilter(req.query.get('filter'));
    const items = Object.entries(this.st.resources)
      .filter(([p]) => p.startsWith(`${listRel}/`))
      .map(([, r]) => this.render(type, r))
      .filter(pred);
    const page = paginate(order(items, req.query.get('orderBy')), req.query);
    return {
      kind: `${type.kind}List`,
      id: listRel,
      ...(page.items.length ? { items: page.items } : {}),
      ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
      selfLink: selfLink(listRel),
    };
  }

  private routes(router: Router, type: ResourceType): void {
    const core = this.core;
    const coll = type.regional
      ? `/compute/v1/projects/:project/regions/:region/${type.collection}`
      : `/compute/v1/projects/:project/global/${type.collection}`;
    const item = `${coll}/:name`;
    const s = type.service;
    const run = (method: string, kind: 'read' | 'write', fn: (req: HttpRequest) => unknown) => (req: HttpRequest) =>
      core.call(`${s}.${method}`, kind, () => {
        settleDue(core);
        return fn(req);
      });
    router.add('POST', coll, run('Insert', 'write', (req) => this.insert(type, req)), 'compute');
    router.add('GET', coll, run('List', 'read', (req) => this.list(type, req)), 'compute');
    router.add('GET', item, run('Get', 'read', (req) => this.render(type, this.existing(type, req).res)), 'compute');
    router.add('DELETE', item, run('Delete', 'write', (req) => this.delete(type, req)), 'compute');
    if (type.patch) router.add('PATCH', item, run('Patch', 'write', (req) => this.change(type, req, 'patch')), 'compute');
    if (type.update) router.add('PUT', item, run('Update', 'write', (req) => this.change(type, req, 'update')), 'compute');
    for (const v of type.verbs ?? []) {
      const path = v.noGlobal ? `/compute/v1/projects/:project/${type.collection}/:name/${v.verb}` : `${item}/${v.verb}`;
      router.add('POST', path, run(v.method, 'write', (req) => this.verb(type, v, req)), 'compute');
    }
  }
}
