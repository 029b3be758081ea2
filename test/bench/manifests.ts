/**
 * Manifests for the benchmark: a fleet of Services shaped like real ones (image, env
 * with a Secret Manager reference, resources, scaling), of which one in ten is public
 * and one in ten names its invokers — the other eight leave IAM alone, as internal
 * services reached through a load balancer or Pub/Sub push commonly do. A Service reads
 * its IAM policy only when it declares `public` or `invokers`, so this mix decides the
 * per-service reads of a plan (see the README).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const BENCH_PROJECT = 'bench-project';

/**
 * The Secret Manager secret every fleet Service reads (a shared database password). It
 * exists before a run (`seedFleetSecret`), as secrets made by a platform team do: Cloud Run
 * fails a revision whose secret is missing or that its account cannot read.
 */
export const FLEET_SECRET = 'fleet-db-password';

/**
 * Create FLEET_SECRET in `project` on the emulator at `http` (REST), with one version,
 * readable by the Compute Engine default account the fleet's Services run as.
 */
export async function seedFleetSecret(http: string, project: string = BENCH_PROJECT, projectNumber = '123456789012'): Promise<void> {
  const call = async (path: string, body: unknown) => {
    const res = await fetch(`http://${http}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok && res.status !== 409) throw new Error(`seeding ${path}: ${res.status} ${await res.text()}`);
  };
  const secret = `projects/${project}/secrets/${FLEET_SECRET}`;
  await call(`/v1/projects/${project}/secrets?secretId=${FLEET_SECRET}`, { replication: { automatic: {} } });
  await call(`/v1/${secret}:addVersion`, { payload: { data: Buffer.from('bench-password').toString('base64') } });
  await call(`/v1/${secret}:setIamPolicy`, {
    policy: { bindings: [{ role: 'roles/secretmanager.secretAccessor', members: [`serviceAccount:${projectNumber}-compute@developer.gserviceaccount.com`] }] },
  });
}
export const BENCH_REGION = 'europe-north1';

export interface FleetOptions {
  region?: string;
  /** Drop `public`/`invokers` (a manifest set that leaves IAM to someone else). */
  withoutIam?: boolean;
  /** Image tag (watch edits it). @default '1' */
  tag?: string;
  /** Name prefix. @default 'svc' */
  prefix?: string;
}

/** Whether the i-th service of a fleet declares IAM. */
export function declaresIam(i: number): 'public' | 'invokers' | undefined {
  if (i % 10 === 3) return 'public';
  if (i % 10 === 7) return 'invokers';
  return undefined;
}

/** One Service document (JSON is YAML: no quoting surprises, fast to parse). */
export function serviceDoc(i: number, o: FleetOptions = {}): string {
  const name = `${o.prefix ?? 'svc'}-${String(i).padStart(4, '0')}`;
  const region = o.region ?? BENCH_REGION;
  const spec: Record<string, unknown> = {
    region,
    image: `${region}-docker.pkg.dev/${BENCH_PROJECT}/apps/${name}:${o.tag ?? '1'}`,
    env: { LOG_LEVEL: 'info', DB_PASSWORD: { secret: FLEET_SECRET, version: 'latest' } },
    resources: { cpu: '1', memory: '512Mi' },
    scaling: { minInstances: 0, maxInstances: 10 },
  };
  const iam = o.withoutIam ? undefined : declaresIam(i);
  if (iam === 'public') spec.public = true;
  if (iam === 'invokers') spec.invokers = [`serviceAccount:caller-${i}@${BENCH_PROJECT}.iam.gserviceaccount.com`];
  return JSON.stringify({ apiVersion: 'runctl.dev/v1alpha1', kind: 'Service', metadata: { name, labels: { app: name, tier: 'bench' } }, spec });
}

/** Write a fleet of `n` Services into `dir/fleet.yaml`; returns the directory. */
export function writeFleet(dir: string, n: number, o: FleetOptions = {}): string {
  fs.mkdirSync(dir, { recursive: true });
  const docs = Array.from({ length: n }, (_, i) => serviceDoc(i, o));
  fs.writeFileSync(path.join(dir, 'fleet.yaml'), docs.join('\n---\n') + '\n');
  return dir;
}

/** How many Services of a fleet of `n` declare IAM. */
export function iamCount(n: number): number {
  let c = 0;
  for (let i = 0; i < n; i++) if (declaresIam(i)) c++;
  return c;
}
