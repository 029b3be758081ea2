/**
 * `namespaces.domainmappings` create, get, list and delete (and the same four under
 * `projects.locations.domainmappings`): v1 Kubernetes-style objects, no update method.
 */
import { randomUUID } from 'node:crypto';
import type { EmulatorCore } from '../../core';
import { Code, EmulatorError } from '../../errors';
import { RUN_REGIONS } from '../cloud-run/locations';
import { matchesSelector } from './selector';
import { statusOf } from './records';
import { dmState, key, MAPPING_REGIONS, notFound, type MappingRecord, type Obj } from './state';

const API_VERSION = 'domains.cloudrun.com/v1';
/** RFC 1123 host name: what Cloud Run accepts as a mapping's name. */
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
const CERT_MODES = new Set(['CERTIFICATE_MODE_UNSPECIFIED', 'NONE', 'AUTOMATIC']);
const LABEL_KEY = /^([a-z0-9.-]{1,253}\/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

/** Where a call is addressed: its region and namespace (project ID or number). */
export interface Scope {
  region: string;
  namespace: string;
}

function invalid(message: string): EmulatorError {
  return new EmulatorError(Code.INVALID_ARGUMENT, message);
}

function checkRegion(region: string): void {
  if (!RUN_REGIONS[region]) throw invalid(`Unknown region '${region}'.`);
}

function selfLink(core: EmulatorCore, name: string): string {
  return `/apis/${API_VERSION}/namespaces/${core.projectNumber}/domainmappings/${name}`;
}

/** A stored mapping as the API answers it. */
export function view(core: EmulatorCore, rec: MappingRecord): Obj {
  return { ...rec.mapping, status: statusOf(core, rec) };
}

function validate(body: Obj | undefined): { name: string; labels: Record<string, string>; annotations: Record<string, string>; spec: Obj } {
  if (!body || typeof body !== 'object') throw invalid('The request has no DomainMapping.');
  if (body.apiVersion !== undefined && body.apiVersion !== API_VERSION) throw invalid(`apiVersion: Unsupported value: '${body.apiVersion}': supported values: '${API_VERSION}'`);
  if (body.kind !== undefined && body.kind !== 'DomainMapping') throw invalid(`kind: Unsupported value: '${body.kind}': supported values: 'DomainMapping'`);
  const md = body.metadata ?? {};
  const name = md.name;
  if (typeof name !== 'string' || !name) throw invalid('metadata.name: Required value: the domain to map.');
  if (!DOMAIN.test(name)) throw invalid(`metadata.name: Invalid value: '${name}': must be a fully qualified lower-case domain name.`);
  const labels: Record<string, string> = md.labels ?? {};
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL_KEY.test(k) || typeof v !== 'string' || v.length > 63) throw invalid(`metadata.labels: Invalid value: '${k}'.`);
  }
  const spec = body.spec ?? {};
  if (typeof spec.routeName !== 'string' || !spec.routeName) throw invalid('spec.routeName: Required value.');
  if (spec.certificateMode !== undefined && !CERT_MODES.has(spec.certificateMode)) {
    throw invalid(`spec.certificateMode: Unsupported value: '${spec.certificateMode}': supported values: 'NONE', 'AUTOMATIC'`);
  }
  return { name, labels, annotations: md.annotations ?? {}, spec };
}

/** Create a mapping (`dryRun=all` validates and answers without storing). */
export function createMapping(core: EmulatorCore, scope: Scope, body: Obj | undefined, dryRun: boolean): Obj {
  checkRegion(scope.region);
  if (!MAPPING_REGIONS.includes(scope.region)) {
    throw new EmulatorError(Code.UNIMPLEMENTED, `Creating domain mappings is not allowed in ${scope.region}.`);
  }
  const { name, labels, annotations, spec } = validate(body);
  const st = dmState(core);
  const k = key(scope.region, scope.namespace, name);
  if (st.mappings[k]) throw new EmulatorError(Code.ALREADY_EXISTS, `Resource '${name}' already exists.`);
  const now = core.clock.now();
  const mapping: Obj = {
    apiVersion: API_VERSION,
    kind: 'DomainMapping',
    metadata: {
      name,
      namespace: core.projectNumber,
      selfLink: selfLink(core, name),
      uid: randomUUID(),
      resourceVersion: core.newEtag(),
      generation: 1,
      creationTimestamp: new Date(now).toISOString(),
      labels: { ...labels, 'cloud.googleapis.com/location': scope.region },
      annotations: { ...annotations, 'serving.knative.dev/creator': 'emulator-user@local', 'serving.knative.dev/lastModifier': 'emulator-user@local' },
    },
    spec: { routeName: spec.routeName, certificateMode: spec.certificateMode && spec.certificateMode !== 'CERTIFICATE_MODE_UNSPECIFIED' ? spec.certificateMode : 'AUTOMATIC', ...(spec.forceOverride ? { forceOverride: true } : {}) },
  };
  const rec: MappingRecord = { mapping, region: scope.region, namespace: scope.namespace, createMs: now, certificateAt: now + (core.options.operationLatencyMs ?? 0), seq: ++st.seq };
  if (!dryRun) st.mappings[k] = rec;
  return view(core, rec);
}

function find(core: EmulatorCore, scope: Scope, name: string): MappingRecord {
  checkRegion(scope.region);
  const rec = dmState(core).mappings[key(scope.region, scope.namespace, name)];
  if (!rec) throw notFound(name, scope.region, scope.namespace);
  return rec;
}

export function getMapping(core: EmulatorCore, scope: Scope, name: string): Obj {
  return view(core, find(core, scope, name));
}

/** List a namespace's mappings in a region: `labelSelector`, `limit` and `continue` honoured. */
export function listMappings(core: EmulatorCore, scope: Scope, q: URLSearchParams): Obj {
  checkRegion(scope.region);
  const selector = q.get('labelSelector') ?? '';
  const all = Object.values(dmState(core).mappings)
    .filter((r) => r.region === scope.region && r.namespace === scope.namespace)
    .filter((r) => matchesSelector(selector, r.mapping.metadata.labels ?? {}))
    .sort((a, b) => a.mapping.metadata.name.localeCompare(b.mapping.metadata.name));
  const offset = q.get('continue') ? Number(Buffer.from(q.get('continue')!, 'base64url').toString('utf8')) : 0;
  if (!Number.isInteger(offset) || offset < 0) throw invalid('Invalid continue token.');
  const limit = Number(q.get('limit')) > 0 ? Number(q.get('limit')) : all.length || 1;
  const page = all.slice(offset, offset + limit);
  const next = offset + limit < all.length ? Buffer.from(String(offset + limit)).toString('base64url') : undefined;
  return {
    apiVersion: API_VERSION,
    kind: 'DomainMappingList',
    metadata: { selfLink: `/apis/${API_VERSION}/namespaces/${core.projectNumber}/domainmappings`, ...(next ? { continue: next } : {}) },
    items: page.map((r) => view(core, r)),
  };
}

/** Delete: the v1 API answers a Kubernetes `Status` (the mapping is gone at once here). */
export function deleteMapping(core: EmulatorCore, scope: Scope, name: string, dryRun: boolean): Obj {
  const rec = find(core, scope, name);
  if (!dryRun) delete dmState(core).mappings[key(scope.region, scope.namespace, name)];
  return { apiVersion: 'v1', kind: 'Status', status: 'Success', details: { name, group: 'domains.cloudrun.com', kind: 'domainmappings', uid: rec.mapping.metadata.uid } };
}
