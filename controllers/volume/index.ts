/**
 * Volume: storage that Services mount. `gcs` is a Cloud Storage bucket — created (and
 * owned, labelled) by runctl when `create: true`, otherwise only checked to exist.
 * `nfs` and `memory` have no API object of their own: they are validated and passed
 * through to the Services that mount them (see `controllers/shared/cloud-run/run-service.ts`), so
 * they always observe as existing and plan as no-ops.
 */
import type { BucketMetadata } from '@google-cloud/storage';
import { AlreadyExists, type Controller, type Identity, type LiveResource, type Observed, type ObserveContext, type PlanContext, type ResourcePlan, type ResourceStatus } from '../../src/engine/controller';
import { diffDeclared } from '../../src/engine/diff';
import { projectOf } from '../../src/engine/location';
import { ownedBy, ownedLabels } from '../../src/engine/planner';
import { RunctlError, type Diagnostic, type Manifest } from '../../src/engine/types';
import { isAlreadyExists, isConflict, isNotFound } from '../../src/gcp/errors';
import type { VolumeSpec } from '../generated/manifests';
import { bucketNameProblem } from './bucket-name';
import { normalizeMemory } from '../shared/quantity';

const KIND = 'Volume';
/** Label naming the Volume on a bucket runctl created (so `--prune` and `get` can find it). */
const LABEL_VOLUME = 'runctl-volume';

type Bucket = BucketMetadata;

/** The manifest form: exactly one of the three, normalised. */
type VolumeForm = {
  gcs?: { bucket: string; create: boolean; location?: string; mountOptions?: string[] };
  nfs?: { server: string; path: string };
  memory?: { sizeLimit?: string };
};
type VolumeObserved = Observed<Bucket, VolumeForm>;

const creates = (m: Manifest<VolumeSpec>) => !!m.spec.gcs?.create;

/** Labels as the API gives them (a value may be null while being removed), as strings. */
function labelsOf(b: Bucket): Record<string, string> {
  return Object.fromEntries(Object.entries(b.labels ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** The manifest form, normalised (location upper-cased, sizes canonical). */
function normalize(spec: VolumeSpec): VolumeForm {
  if (spec.gcs) {
    const g = spec.gcs;
    const gcs: NonNullable<VolumeForm['gcs']> = { bucket: g.bucket, create: !!g.create };
    if (g.create && g.location) gcs.location = String(g.location).toUpperCase();
    if (g.mountOptions?.length) gcs.mountOptions = [...g.mountOptions];
    return { gcs };
  }
  if (spec.nfs) return { nfs: { server: spec.nfs.server, path: spec.nfs.path } };
  return { memory: spec.memory?.sizeLimit ? { sizeLimit: normalizeMemory(spec.memory.sizeLimit) } : {} };
}

/** Every bucket of a project, once per run. */
async function listBuckets(ctx: ObserveContext, project: string): Promise<Map<string, Bucket>> {
  return ctx.cached(`storage.buckets:${project}`, async () => {
    const [buckets] = await ctx.clients.storage().getBuckets({ project, autoPaginate: true });
    return new Map(buckets.map((b) => [b.name, b.metadata]));
  });
}

/** A bucket by name: from the project's list, else one get (a shared bucket of another project). */
async function findBucket(ctx: ObserveContext, project: string, name: string): Promise<Bucket | undefined> {
  const listed = (await listBuckets(ctx, project)).get(name);
  if (listed) return listed;
  return ctx.cached(`storage.bucket:${name}`, async () => {
    try {
      const [meta] = await ctx.clients.storage().bucket(name).getMetadata();
      return meta;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  });
}

function bucketStatus(b: Bucket): ResourceStatus {
  return { fields: { bucket: b.name, location: b.location, url: `gs://${b.name}` }, ready: { status: 'True', reason: 'Available' } };
}

/** A pass-through volume (nfs, memory, or a bucket runctl does not own) observes as exactly what is declared. */
function passThrough(m: Manifest<VolumeSpec>, ctx: PlanContext, status: ResourceStatus, raw?: Bucket): VolumeObserved {
  return { exists: true, spec: normalize(m.spec), labels: ownedLabels(m, ctx.set), raw, status };
}

function fromBucket(m: Manifest<VolumeSpec>, b: Bucket): VolumeObserved {
  const gcs: NonNullable<VolumeForm['gcs']> = { bucket: b.name ?? '', create: creates(m), location: b.location };
  if (m.spec.gcs?.mountOptions?.length) gcs.mountOptions = [...m.spec.gcs.mountOptions];
  return { exists: true, spec: { gcs }, labels: labelsOf(b), etag: String(b.metageneration ?? ''), raw: b, status: bucketStatus(b) };
}

function missingBucket(m: Manifest<VolumeSpec>): RunctlError {
  return new RunctlError(
    'InvalidValue',
    `${KIND}/${m.metadata.name}: bucket "${m.spec.gcs?.bucket}" does not exist and spec.gcs.create is false: create the bucket, or set spec.gcs.create: true to let runctl create (and own) it`,
    { source: 'user' },
  );
}

export const volumeController: Controller<VolumeSpec, Bucket, VolumeForm> = {
  kind: KIND,
  schema: 'volume.schema.json',
  regional: false,
  // A bucket cannot move, and replacing it would delete its data.
  replaceOn: [{ path: 'spec.gcs.location', refuse: 'a bucket cannot move to another location, and runctl refuses to replace it (that would delete its data): keep the location, or use a new bucket name' }],

  validate(m): Diagnostic[] {
    const g = m.spec?.gcs;
    const out: Diagnostic[] = [];
    const problem = typeof g?.bucket === 'string' ? bucketNameProblem(g.bucket) : undefined;
    if (problem) out.push({ code: 'InvalidValue', path: 'spec.gcs.bucket', message: `not a Cloud Storage bucket name: ${problem}` });
    if (g && g.location && !g.create) {
      out.push({ code: 'InvalidValue', path: 'spec.gcs.location', message: 'location applies only to a bucket runctl creates: set spec.gcs.create: true, or drop location' });
    }
    return out;
  },

  identify(m, ctx): Identity {
    const project = projectOf(m, ctx.target);
    const s = m.spec;
    const fullName = s.gcs ? `projects/_/buckets/${s.gcs.bucket}` : s.nfs ? `nfs://${s.nfs.server}${s.nfs.path}` : `memory/${m.metadata.name}`;
    return { project, name: m.metadata.name, fullName };
  },

  async observe({ manifest: m, id }, ctx) {
    const s = m.spec;
    if (s.nfs) return passThrough(m, ctx, { fields: { url: `nfs://${s.nfs.server}${s.nfs.path}` }, ready: { status: 'True', reason: 'Available' } });
    if (!s.gcs) return passThrough(m, ctx, { fields: { sizeLimit: normalize(s).memory?.sizeLimit }, ready: { status: 'True', reason: 'Available' } });
    const b = await findBucket(ctx, id.project, s.gcs.bucket);
    if (!b) return { exists: false };
    // A bucket runctl only refers to is never labelled or changed: it observes as declared.
    if (!creates(m)) return passThrough(m, ctx, bucketStatus(b), b);
    return fromBucket(m, b);
  },

  desired({ manifest: m }) {
    return normalize(m.spec);
  },

  plan({ manifest: m, desired, observed }): ResourcePlan {
    if (!observed.exists) {
      if (m.spec.gcs && !creates(m)) throw missingBucket(m);
      const where = desired.gcs?.location ? ` in ${desired.gcs.location}` : '';
      const notes = desired.gcs ? [`creates bucket ${desired.gcs.bucket}${where}, labelled as runctl's`] : [];
      return { action: 'create', changes: diffDeclared(desired, {}).changes, notes };
    }
    const { changes } = diffDeclared(desired, observed.spec);
    // A moved location is refused by the engine (replaceOn above), before apply.
    return { action: changes.length ? 'update' : 'noop', changes, notes: [] };
  },

  async apply({ manifest: m, id, desired, observed, plan }, ctx) {
    const gcs = desired.gcs;
    if (!gcs || !m.spec.gcs) return observed.exists ? observed : passThrough(m, ctx, { fields: {} });
    if (!creates(m)) {
      const b = await findBucket(ctx, id.project, gcs.bucket);
      if (!b) throw missingBucket(m);
      return passThrough(m, ctx, bucketStatus(b), b);
    }
    const labels = { ...(m.metadata.labels ?? {}), [LABEL_VOLUME]: m.metadata.name };
    if (plan.action === 'create') {
      ctx.progress(`creating bucket ${gcs.bucket}`);
      try {
        // The JSON API directly: the storage client creates buckets in its own default project.
        const b = await ctx.clients.rest<Bucket>('https://storage.googleapis.com', {
          method: 'POST',
          path: `/storage/v1/b?project=${encodeURIComponent(id.project)}`,
          body: { name: gcs.bucket, labels, ...(gcs.location ? { location: gcs.location } : {}) },
        });
        return fromBucket(m, b);
      } catch (err) {
        // Storage answers 409 for a name taken: the executor re-reads and re-plans.
        if (isConflict(err) || isAlreadyExists(err)) throw new AlreadyExists(`bucket ${gcs.bucket} already exists`, err);
        throw err;
      }
    }
    // An update: labels are the only thing a bucket runctl owns can change in place.
    ctx.progress(`setting labels on bucket ${gcs.bucket}`);
    const [b] = await ctx.clients.storage().bucket(gcs.bucket).setMetadata({ labels }, { ifMetagenerationMatch: observed.etag });
    return fromBucket(m, b);
  },

  async delete({ manifest: m, observed }, ctx) {
    const bucket = m.spec.gcs?.bucket;
    if (!bucket || !creates(m)) return; // nothing of ours to delete
    // Only a bucket runctl created for this set: its labels, as the engine read them right
    // before this call, say so; the metageneration read then is the delete's precondition
    // (412 if anyone changed the bucket since).
    if (!observed.exists || !ownedBy(observed.labels, ctx.set)) return;
    ctx.progress(`deleting bucket ${bucket}`);
    try {
      await ctx.clients.storage().bucket(bucket).delete(observed.etag ? { ifMetagenerationMatch: observed.etag } : {});
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  },

  async list(scopes, ctx): Promise<LiveResource[]> {
    const out: LiveResource[] = [];
    for (const project of [...new Set(scopes.map((s) => s.project))].sort()) {
      for (const b of (await listBuckets(ctx, project)).values()) {
        const labels = labelsOf(b);
        if (labels['managed-by'] !== 'runctl') continue;
        const name = labels[LABEL_VOLUME] ?? b.name ?? '';
        out.push({
          kind: KIND,
          name,
          identity: { project, name, fullName: `projects/_/buckets/${b.name}` },
          labels,
          etag: String(b.metageneration ?? ''),
          spec: { gcs: { bucket: b.name, create: true, location: b.location } },
          status: bucketStatus(b),
        });
      }
    }
    return out;
  },
};
