/**
 * Secret Manager fixtures: Cloud Run fails a revision whose env reads a secret that does
 * not exist or that its account may not access, as Google does, so a test whose
 * Service reads a secret outside its manifests makes that secret first.
 */
import type { Harness } from './harness';

/**
 * Create secret `name` in `project` with `versions` versions, readable by every
 * authenticated principal (`allAuthenticatedUsers`, which includes every service
 * account, whichever one the test's Service runs as).
 */
export async function readableSecret(h: Pick<Harness, 'clients'>, name: string, versions: number, project = 'local-project'): Promise<void> {
  const sm = h.clients.secretManager();
  const [secret] = await sm.createSecret({ parent: `projects/${project}`, secretId: name, secret: { replication: { automatic: {} } } });
  for (let i = 1; i <= versions; i++) await sm.addSecretVersion({ parent: secret.name, payload: { data: Buffer.from(`${name}-test-value-${i}`) } });
  await sm.setIamPolicy({ resource: secret.name, policy: { bindings: [{ role: 'roles/secretmanager.secretAccessor', members: ['allAuthenticatedUsers'] }] } });
}
