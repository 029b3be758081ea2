/**
 * Identity: IAM v1 service accounts over REST (the paths `@googleapis/iam` calls) and
 * Resource Manager v3 `Projects` over gRPC (project IAM policies; REST through the
 * transcoder). It fills `core.directory`, which Cloud Run and the other modules consult
 * (does a service account exist, which project roles does a member hold). Behaviour is
 * written down in `src/emulator/spec/iam.md`.
 */
import type { EmulatorCore } from '../core';
import { Code, EmulatorError } from '../errors';
import { loadProtos, unary } from '../grpc';
import type { HttpRequest, Router } from '../http';
import type { EmulatorModule } from './module';
import { iamDirectory } from './iam/directory';
import { getProject, getProjectPolicy, setProjectPolicy, testProjectPermissions } from './iam/projects';
import * as accounts from './iam/service-accounts';
import { iamNs } from './iam/state';

export { iamNs } from './iam/state';

const IAM = 'IAM';
const PROJECTS = 'Projects';

let loaded: any;

/** Rewrite a member in every stored policy (a deleted account's bindings keep its unique ID). */
function renameMembers(core: EmulatorCore, from: string, to: string): void {
  const st = iamNs(core);
  const policies = [...Object.values(st.policies), ...Object.values(st.accounts).flatMap((r) => (r.policy ? [r.policy] : []))];
  for (const p of policies) {
    for (const b of p.bindings) b.members = b.members.map((m) => (m === from ? to : m));
  }
}

/** `EMAIL:verb` → [EMAIL, verb] (emails hold no `:`). */
function splitVerb(segment: string): [string, string | undefined] {
  const i = segment.lastIndexOf(':');
  return i < 0 ? [segment, undefined] : [segment.slice(0, i), segment.slice(i + 1)];
}

function routes(router: Router, core: EmulatorCore): void {
  const exists = (email: string) => core.directory.serviceAccountExists(email);
  const on = (method: string, path: string, handler: (req: HttpRequest) => Promise<unknown>) => router.add(method, path, handler, 'google');
  const call = (rpc: string, kind: 'read' | 'write', fn: () => unknown) => core.call(`${IAM}.${rpc}`, kind, fn);
  const base = '/v1/projects/:project/serviceAccounts';

  on('POST', base, (req) => call('CreateServiceAccount', 'write', () => accounts.createAccount(core, req.params.project, req.body)));
  on('GET', base, (req) => call('ListServiceAccounts', 'read', () => accounts.listAccounts(core, req.params.project, req.query.get('pageSize'), req.query.get('pageToken'))));
  on('GET', `${base}/:account`, (req) => call('GetServiceAccount', 'read', () => accounts.findAccount(core, req.params.project, req.params.account).account));
  on('PATCH', `${base}/:account`, (req) => call('PatchServiceAccount', 'write', () => accounts.patchAccount(core, req.params.project, req.params.account, req.body)));
  on('PUT', `${base}/:account`, (req) => call('UpdateServiceAccount', 'write', () => accounts.updateAccount(core, req.params.project, req.params.account, req.body)));
  on('DELETE', `${base}/:account`, (req) =>
    call('DeleteServiceAccount', 'write', () => accounts.deleteAccount(core, req.params.project, req.params.account, (a, b) => renameMembers(core, a, b))));
  on('POST', `${base}/:account`, async (req) => {
    const [account, verb] = splitVerb(req.params.account);
    const { project } = req.params;
    switch (verb) {
      case 'getIamPolicy': return call('GetIamPolicy', 'read', () => accounts.getAccountPolicy(core, project, account));
      case 'setIamPolicy': return call('SetIamPolicy', 'write', () => accounts.setAccountPolicy(core, project, account, req.body, exists));
      case 'testIamPermissions':
        return call('TestIamPermissions', 'read', () => {
          accounts.findAccount(core, project, account);
          return { permissions: req.body?.permissions ?? [] };
        });
      case 'enable': return call('EnableServiceAccount', 'write', () => accounts.setDisabled(core, project, account, false));
      case 'disable': return call('DisableServiceAccount', 'write', () => accounts.setDisabled(core, project, account, true));
      default: throw new EmulatorError(Code.UNIMPLEMENTED, `Method POST not implemented for ${req.path}`);
    }
  });
}

export const iamModule: EmulatorModule = {
  name: 'iam',
  grpc(server, core) {
    loaded ??= loadProtos(['google/cloud/resourcemanager/v3/projects.proto'], ['google.cloud.resourcemanager.v3.Projects']);
    const exists = (email: string) => core.directory.serviceAccountExists(email);
    server.addService(loaded.google.cloud.resourcemanager.v3.Projects.service, {
      getProject: unary(core, `${PROJECTS}.GetProject`, 'read', (req) => getProject(core, req)),
      getIamPolicy: unary(core, `${PROJECTS}.GetIamPolicy`, 'read', (req) => getProjectPolicy(core, req)),
      setIamPolicy: unary(core, `${PROJECTS}.SetIamPolicy`, 'write', (req) => setProjectPolicy(core, req, exists)),
      testIamPermissions: unary(core, `${PROJECTS}.TestIamPermissions`, 'read', (req) => testProjectPermissions(core, req)),
      // grpc-js types an implementation by its generated service type, which proto-loader's untyped definition lacks.
    } as any);
  },
  http(router, core) {
    core.directory = iamDirectory(core);
    routes(router, core);
  },
};
