/**
 * Binary Authorization v1 over REST (`binaryauthorization.googleapis.com`): the project
 * policy, attestors, the attested-image admin routes, and the admission check Cloud Run
 * runs for each new revision. Behaviour is written down in `src/emulator/spec/binauthz.md`.
 */
import type { EmulatorCore } from '../core';
import type { HttpRequest, Router } from '../http';
import type { EmulatorModule } from './module';
import { admissionCheck } from './binauthz/admission';
import { addAttested, attestationRoutes } from './binauthz/attestations';
import * as attestors from './binauthz/attestors';
import { getPolicy, putPolicy } from './binauthz/policy';

export { evaluateAdmission, admissionCheck } from './binauthz/admission';
export { addAttested, isAttested } from './binauthz/attestations';
export { matchesPattern, matchesAttested, parseImage } from './binauthz/images';
export { currentPolicy } from './binauthz/policy';

const SERVICE = 'BinauthzManagementServiceV1';

function routes(router: Router, core: EmulatorCore): void {
  const on = (method: string, path: string, rpc: string, kind: 'read' | 'write', fn: (req: HttpRequest) => unknown) =>
    router.add(method, path, (req) => core.call(`${SERVICE}.${rpc}`, kind, () => fn(req)), 'google');
  const attestorName = (req: HttpRequest) => `projects/${req.params.project}/attestors/${req.params.attestor}`;

  on('GET', '/v1/projects/:project/policy', 'GetPolicy', 'read', (req) => getPolicy(core, req.params.project));
  on('PUT', '/v1/projects/:project/policy', 'UpdatePolicy', 'write', (req) => putPolicy(core, req.params.project, req.body));
  on('POST', '/v1/projects/:project/attestors', 'CreateAttestor', 'write', (req) =>
    attestors.createAttestor(core, req.params.project, req.query.get('attestorId') ?? req.query.get('attestor_id'), req.body));
  on('GET', '/v1/projects/:project/attestors', 'ListAttestors', 'read', (req) =>
    attestors.listAttestors(core, req.params.project, req.query.get('pageSize'), req.query.get('pageToken')));
  on('GET', '/v1/projects/:project/attestors/:attestor', 'GetAttestor', 'read', (req) => attestors.getAttestor(core, attestorName(req)));
  on('PUT', '/v1/projects/:project/attestors/:attestor', 'UpdateAttestor', 'write', (req) => attestors.updateAttestor(core, attestorName(req), req.body));
  on('DELETE', '/v1/projects/:project/attestors/:attestor', 'DeleteAttestor', 'write', (req) => attestors.deleteAttestor(core, attestorName(req)));
}

export const binauthzModule: EmulatorModule = {
  name: 'binauthz',
  http(router, core) {
    routes(router, core);
    attestationRoutes(router, core);
    if (core.options.attested?.length) addAttested(core, core.options.attested);
    core.imageAdmission.push(admissionCheck(core));
  },
};
