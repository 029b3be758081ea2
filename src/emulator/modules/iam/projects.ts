/**
 * Resource Manager v3 `Projects` over gRPC (and REST through the transcoder): GetProject,
 * and the project IAM policy (GetIamPolicy, SetIamPolicy with its etag,
 * TestIamPermissions). Every project ID exists; all share the emulator's project number.
 * See `src/emulator/spec/iam.md`.
 */
import type { EmulatorCore } from '../../core';
import { checkPolicyMembers } from '../../org-policy';
import { Code, EmulatorError } from '../../errors';
import { policyWire, setPolicy, type SetPolicyInput } from './policy';
import { computeDefaultEmail, iamNs, newPolicyEtag, type PolicyRecord } from './state';

const PROJECT_ID = /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/;
const PROJECT_NUMBER = /^[0-9]{1,20}$/;

/** The project a `projects/{id or number}` resource names; INVALID_ARGUMENT when malformed. */
export function parseProject(resource: unknown, field: string): string {
  const m = typeof resource === 'string' ? /^projects\/([^/]+)$/.exec(resource) : null;
  if (!m || !(PROJECT_ID.test(m[1]) || PROJECT_NUMBER.test(m[1]))) {
    throw new EmulatorError(Code.INVALID_ARGUMENT, `Invalid resource field value in the request. (${field})`);
  }
  return m[1];
}

/**
 * A project's policy before anyone sets one: what a new project has — the Compute
 * Engine default account and the Google APIs service agent as editors, Cloud Run's
 * service agent with its role. Stored on first read so its etag is stable.
 */
export function projectPolicy(core: EmulatorCore, project: string): PolicyRecord {
  const st = iamNs(core);
  st.policies[project] ??= {
    version: 1,
    etag: newPolicyEtag(),
    bindings: [
      { role: 'roles/editor', members: [`serviceAccount:${computeDefaultEmail(core)}`, `serviceAccount:${core.projectNumber}@cloudservices.gserviceaccount.com`] },
      { role: 'roles/run.serviceAgent', members: [`serviceAccount:service-${core.projectNumber}@serverless-robot-prod.iam.gserviceaccount.com`] },
    ],
  };
  return st.policies[project];
}

function ts(ms: number): { seconds: string; nanos: number } {
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}

export function getProject(core: EmulatorCore, req: { name?: string }): unknown {
  const id = parseProject(req.name, 'name');
  // All projects share one number, so a number cannot say which ID it stands for: the
  // emulator's default project answers for it.
  const projectId = PROJECT_NUMBER.test(id) ? 'local-project' : id;
  if (PROJECT_NUMBER.test(id) && id !== core.projectNumber) {
    throw new EmulatorError(Code.PERMISSION_DENIED, `Permission 'resourcemanager.projects.get' denied on resource '//cloudresourcemanager.googleapis.com/projects/${id}' (or it may not exist).`);
  }
  return {
    name: `projects/${core.projectNumber}`,
    parent: '',
    projectId,
    state: 'ACTIVE',
    displayName: projectId,
    createTime: ts(0),
    updateTime: ts(0),
    etag: 'W/"emulated"',
  };
}

export function getProjectPolicy(core: EmulatorCore, req: { resource?: string }): unknown {
  return policyWire(projectPolicy(core, parseProject(req.resource, 'resource')));
}

export function setProjectPolicy(core: EmulatorCore, req: SetPolicyInput & { resource?: string }, exists: (email: string) => boolean): unknown {
  const project = parseProject(req.resource, 'resource');
  const next = setPolicy(projectPolicy(core, project), req, exists);
  // Domain Restricted Sharing refuses public members (`--org-policy domain-restricted-sharing`).
  checkPolicyMembers(core, next.bindings);
  iamNs(core).policies[project] = next;
  return policyWire(next);
}

export function testProjectPermissions(core: EmulatorCore, req: { resource?: string; permissions?: string[] }): unknown {
  parseProject(req.resource, 'resource');
  // The emulator has no access control: the caller holds every permission it asks about.
  return { permissions: req.permissions ?? [] };
}
