/**
 * Job attempts: what a Cloud Scheduler HTTP job meets when it calls a Cloud Run service
 * of the emulator. The emulator sends no request; it judges the call as Cloud Run's front
 * end would — the service must exist and be ready, and unless it is public the job's OIDC
 * token must be for an account holding `roles/run.invoker` on the service (or the
 * project), with an audience that is one of the service's URLs. A target that is not a
 * Cloud Run service of the emulator has no outcome (the job's `status` is left as is).
 */
import type { EmulatorCore } from '../../core';
import { Code } from '../../errors';
import { runState } from '../cloud-run';

/** The google.rpc.Status a job records for an attempt (code only, as Google shows it). */
export interface AttemptOutcome {
  code: number;
}

const INVOKER_ROLES = ['roles/run.invoker', 'roles/run.admin', 'roles/owner', 'roles/editor'];

const originOf = (url: string): string | undefined => {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
};

/** The outcome of calling the job's HTTP target now, or undefined when the emulator cannot tell. */
export function attempt(core: EmulatorCore, job: Record<string, any>): AttemptOutcome | undefined {
  const t = job.httpTarget;
  const origin = t?.uri ? originOf(t.uri) : undefined;
  if (!origin) return undefined;
  const svc = runState(core).services().find((s) => [s.uri, ...s.urls].some((u) => u && originOf(u) === origin));
  if (!svc) return undefined;
  if (!svc.ready) return { code: Code.UNAVAILABLE };
  if (svc.public) return { code: Code.OK };
  const token = t.oidcToken;
  // No identity token (or one for another audience): Cloud Run answers 401.
  if (!token?.serviceAccountEmail) return { code: Code.UNAUTHENTICATED };
  const audience = originOf(token.audience || t.uri);
  if (![svc.uri, ...svc.urls].some((u) => u && originOf(u) === audience)) return { code: Code.UNAUTHENTICATED };
  const member = `serviceAccount:${token.serviceAccountEmail}`;
  const onService = runState(core).iamBindings(svc.name).some((b) => INVOKER_ROLES.includes(b.role) && b.members.includes(member));
  const onProject = core.directory.projectRoles(svc.project, member).some((r) => INVOKER_ROLES.includes(r));
  // Authenticated but not allowed: 403, which Cloud Scheduler records as PERMISSION_DENIED.
  return onService || onProject ? { code: Code.OK } : { code: Code.PERMISSION_DENIED };
}
