/**
 * The IAM grants a Service asks of the Secrets of its set (`Controller.grants`): for
 * every env value `{secret: NAME}` that names a Secret of the set, its service account
 * gets roles/secretmanager.secretAccessor on THAT secret — least privilege by
 * construction, where a hand-run script grants the role on the whole project. A Secret
 * that sets `grantReaders: false` is skipped (it lists its accessors itself).
 *
 * The account is the template's `serviceAccount`, else the project's Compute Engine
 * default account, `PROJECT_NUMBER-compute@developer.gserviceaccount.com`, as Cloud Run
 * runs revisions without one; the number comes from Resource Manager (once per project
 * and run).
 */
import type { Grant, ObserveContext, ObserveRequest } from '../../src/engine/controller';
import { projectOf } from '../../src/engine/location';
import { resolveAccount } from '../shared/members';
import type { ServiceSpec } from '../generated/manifests';

const ACCESSOR_ROLE = 'roles/secretmanager.secretAccessor';

/** The project number, read once per run. */
async function projectNumber(ctx: ObserveContext, project: string): Promise<string> {
  return ctx.cached(`resourcemanager.project:${project}`, async () => {
    const [p] = await ctx.clients.projects().getProject({ name: `projects/${project}` });
    return String(p.name ?? '').split('/').pop() ?? project;
  });
}

/** The secrets of the set this Service's env reads, whose Secret lets readers be granted. */
function secretsOfSet(spec: ServiceSpec, ctx: ObserveContext): string[] {
  const names = new Set<string>();
  for (const value of Object.values(spec.env ?? {})) {
    if (!value || typeof value !== 'object' || typeof value.secret !== 'string') continue;
    const secret = ctx.manifestOf(`Secret/${value.secret}`);
    if (secret && secret.spec?.grantReaders !== false) names.add(value.secret);
  }
  return [...names].sort();
}

export async function secretGrants({ manifest: m }: ObserveRequest<ServiceSpec>, ctx: ObserveContext): Promise<Grant[]> {
  const secrets = secretsOfSet(m.spec, ctx);
  if (!secrets.length) return [];
  const project = projectOf(m, ctx.target);
  const account = typeof m.spec.serviceAccount === 'string' && m.spec.serviceAccount
    ? resolveAccount(m.spec.serviceAccount, ctx)
    : `${await projectNumber(ctx, project)}-compute@developer.gserviceaccount.com`;
  return secrets.map((name) => ({ on: `Secret/${name}`, role: ACCESSOR_ROLE, member: `serviceAccount:${account}`, from: `Service/${m.metadata.name}` }));
}
