/**
 * Cloud Storage JSON API: buckets (`/storage/v1/b` insert / list and
 * `/storage/v1/b/{bucket}` get / patch / update / delete, with metageneration
 * preconditions) and objects (`storage/objects.ts`: simple uploads, get, media
 * download, patch, list, delete, with generation preconditions). Served on the HTTP port
 * for the unmodified `@google-cloud/storage` client (`apiEndpoint: 'http://127.0.0.1:P+1'`).
 * Behaviour: `src/emulator/spec/storage.md`.
 */
import type { EmulatorModule } from './module';
import type { EmulatorCore } from '../core';
import type { HttpRequest, Router } from '../http';
import { response } from '../http';
import { Code, EmulatorError } from '../errors';
import { nextGeneration, objectRoutes, type ObjectStore } from './storage/objects';
import {
  type StoredBucket, buildBucket, bucketConflict, bucketNotFound, checkBucketName, invalidArg, preconditionFailed,
  projectionOf, renderBucket, requiredParam, upgradeStored, userInput,
} from './storage/bucket';

/** Default page size of bucket lists (the real default is 1000; small so clients page). */
const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 1000;

type StorageState = ObjectStore;

/** States whose buckets were brought to today's form (once per loaded state). */
const upgraded = new WeakSet<StorageState>();

function state(core: EmulatorCore): StorageState {
  const st = core.ns<StorageState>('storage', () => ({ buckets: {}, objects: {} }));
  st.buckets ??= {};
  st.objects ??= {};
  if (!upgraded.has(st)) {
    for (const b of Object.values(st.buckets) as StoredBucket[]) upgradeStored(b);
    upgraded.add(st);
  }
  return st;
}

function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, any> = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** `ifMetagenerationMatch` / `ifMetagenerationNotMatch` → 412 when they do not hold. */
function checkPreconditions(req: HttpRequest, b: StoredBucket): void {
  const match = req.query.get('ifMetagenerationMatch');
  const notMatch = req.query.get('ifMetagenerationNotMatch');
  if (match !== null && match !== b.metageneration) throw preconditionFailed();
  if (notMatch !== null && notMatch === b.metageneration) throw preconditionFailed();
}

function existing(core: EmulatorCore, req: HttpRequest): StoredBucket {
  const b = state(core).buckets[req.params.bucket];
  if (!b) throw bucketNotFound();
  return b;
}

function ctxOf(core: EmulatorCore, project: string, previous?: StoredBucket) {
  // A bucket keeps its generation for life; only a new one (insert) takes the next.
  const generation = previous?.generation ?? nextGeneration(core, state(core));
  return { project, projectNumber: core.projectNumber, nowIso: core.nowIso(), nowMs: core.clock.now(), generation, previous };
}

/** Whether a request body carries ACLs (insert's projection is then `full`). */
function sendsAcl(body: unknown): boolean {
  return !!body && typeof body === 'object' && ('acl' in body || 'defaultObjectAcl' in body);
}

function insert(core: EmulatorCore, req: HttpRequest) {
  const project = req.query.get('project');
  if (!project) throw requiredParam('project');
  const input = userInput(req.body);
  const name = checkBucketName(input.name);
  const st = state(core);
  const taken = st.buckets[name];
  if (taken) throw bucketConflict(taken._project === project);
  const projection = projectionOf(req.query.get('projection'), sendsAcl(req.body) ? 'full' : 'noAcl');
  const b = buildBucket(input, ctxOf(core, project));
  st.buckets[name] = b;
  return renderBucket(b, projection);
}

function list(core: EmulatorCore, req: HttpRequest) {
  const project = req.query.get('project');
  if (!project) throw requiredParam('project');
  const prefix = req.query.get('prefix') ?? '';
  const projection = projectionOf(req.query.get('projection'), 'noAcl');
  const all = Object.values(state(core).buckets)
    .filter((b) => b._project === project || b.projectNumber === project)
    .filter((b) => b.name.startsWith(prefix))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const rawMax = req.query.get('maxResults');
  const size = rawMax ? Number(rawMax) : DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1) throw invalidArg(`Invalid argument: maxResults '${rawMax}'.`);
  const token = req.query.get('pageToken');
  // The page token is the last name returned: stable while buckets come and go.
  const rest = token ? all.filter((b) => b.name > Buffer.from(token, 'base64url').toString('utf8')) : all;
  const page = rest.slice(0, Math.min(size, MAX_PAGE_SIZE));
  const next = rest.length > page.length ? Buffer.from(page[page.length - 1].name).toString('base64url') : undefined;
  return {
    kind: 'storage#buckets',
    ...(page.length ? { items: page.map((b) => renderBucket(b, projection)) } : {}),
    ...(next ? { nextPageToken: next } : {}),
  };
}

function change(core: EmulatorCore, req: HttpRequest, mode: 'patch' | 'update') {
  const prev = existing(core, req);
  checkPreconditions(req, prev);
  const projection = projectionOf(req.query.get('projection'), 'full');
  const input = userInput(req.body);
  const current = userInput(renderBucket(prev));
  const merged = mode === 'patch' ? mergePatch(current, input) : { ...input, name: prev.name };
  const next = buildBucket(merged, ctxOf(core, prev._project, prev));
  state(core).buckets[prev.name] = next;
  return renderBucket(next, projection);
}

function remove(core: EmulatorCore, req: HttpRequest) {
  const b = existing(core, req);
  checkPreconditions(req, b);
  const st = state(core);
  if (Object.keys(st.objects[b.name] ?? {}).length) {
    throw new EmulatorError(Code.ALREADY_EXISTS, 'The bucket you tried to delete is not empty.', 'conflict');
  }
  delete st.buckets[b.name];
  delete st.objects[b.name];
  return response(204);
}

export const storageModule: EmulatorModule = {
  name: 'storage',
  http(router: Router, core: EmulatorCore) {
    const add = (method: string, path: string, stat: string, kind: 'read' | 'write', fn: (req: HttpRequest) => unknown) =>
      router.add(method, path, (req) => core.call(`Buckets.${stat}`, kind, () => fn(req)), 'storage');
    add('POST', '/storage/v1/b', 'Insert', 'write', (req) => insert(core, req));
    add('GET', '/storage/v1/b', 'List', 'read', (req) => list(core, req));
    add('GET', '/storage/v1/b/:bucket', 'Get', 'read', (req) => {
      const b = existing(core, req);
      checkPreconditions(req, b);
      return renderBucket(b, projectionOf(req.query.get('projection'), 'noAcl'));
    });
    add('PATCH', '/storage/v1/b/:bucket', 'Patch', 'write', (req) => change(core, req, 'patch'));
    add('PUT', '/storage/v1/b/:bucket', 'Update', 'write', (req) => change(core, req, 'update'));
    add('DELETE', '/storage/v1/b/:bucket', 'Delete', 'write', (req) => remove(core, req));
    objectRoutes(
      (method, path, stat, kind, fn, raw) =>
        router.add(method, path, (req) => core.call(`Objects.${stat}`, kind, () => fn(req)), 'storage', { raw }),
      core,
      () => state(core),
    );
  },
};
