/**
 * Enforcement: the admission check Cloud Run runs for every new revision of a service
 * whose `binaryAuthorization.useDefault` is true (or whose `policy` names
 * `projects/{p}/policy`). Order of evaluation, as the real service documents it:
 * breakglass admits; allowlisted images are exempt; then the default admission rule
 * (ALWAYS_ALLOW / ALWAYS_DENY / REQUIRE_ATTESTATION); violations of a
 * DRYRUN_AUDIT_LOG_ONLY rule are only logged (admitted).
 */
import type { EmulatorCore } from '../../core';
import type { ImageAdmissionRequest, ImageDenial } from '../../admission';
import { isAttested } from './attestations';
import { matchesPattern } from './images';
import { currentPolicy } from './policy';

/** The wording the real service uses when an attestor has no valid attestation. */
const NO_ATTESTATION = 'No attestations found that were valid and signed by a key trusted by the attestor';

function policyProject(req: ImageAdmissionRequest): { project?: string; unsupported?: string } {
  const ba = req.binaryAuthorization;
  if (ba?.useDefault) return { project: req.project };
  const m = /^projects\/([^/]+)\/policy$/.exec(ba?.policy ?? '');
  if (m) return { project: m[1] };
  return { unsupported: ba?.policy };
}

/** Why one image violates a rule, or undefined when the rule admits it. */
function violation(core: EmulatorCore, rule: any, image: string): string | undefined {
  switch (rule?.evaluationMode) {
    case 'ALWAYS_ALLOW':
      return undefined;
    case 'ALWAYS_DENY':
      return `Image ${image} denied by Binary Authorization default admission rule. Denied by always_deny admission rule`;
    case 'REQUIRE_ATTESTATION': {
      if (isAttested(core, image)) return undefined;
      const attestors: string[] = rule.requireAttestationsBy ?? [];
      return attestors.map((a) => `Image ${image} denied by attestor ${a}: ${NO_ATTESTATION}`).join('. ');
    }
    default:
      return `Image ${image} denied by Binary Authorization default admission rule: unknown evaluation mode ${rule?.evaluationMode}`;
  }
}

/**
 * Decide one revision: undefined admits, an `ImageDenial` fails the revision with reason
 * `CONTAINER_IMAGE_UNAUTHORIZED` (or `CONTAINER_IMAGE_AUTHORIZATION_CHECK_FAILED` when
 * the named policy cannot be evaluated).
 */
export function evaluateAdmission(core: EmulatorCore, req: ImageAdmissionRequest): ImageDenial | undefined {
  const ba = req.binaryAuthorization;
  if (!ba || (!ba.useDefault && !ba.policy)) return undefined;
  if (ba.breakglassJustification) return undefined;
  const { project, unsupported } = policyProject(req);
  if (!project) {
    return {
      reason: 'CONTAINER_IMAGE_AUTHORIZATION_CHECK_FAILED',
      message: `Binary Authorization policy '${unsupported}' could not be evaluated: the emulator supports only the project policy (projects/PROJECT/policy).`,
    };
  }
  const policy = currentPolicy(core, project);
  const policyName = `projects/${project}/policy`;
  const rule = policy.defaultAdmissionRule;
  const patterns: string[] = (policy.admissionWhitelistPatterns ?? []).map((w: any) => w.namePattern);
  const messages: string[] = [];
  for (const image of req.images) {
    if (patterns.some((p) => matchesPattern(p, image))) continue;
    const why = violation(core, rule, image);
    if (why) messages.push(`Container image '${image}' is not authorized by policy '${policyName}'. ${why}.`);
  }
  if (messages.length === 0 || rule?.enforcementMode === 'DRYRUN_AUDIT_LOG_ONLY') return undefined;
  return { reason: 'CONTAINER_IMAGE_UNAUTHORIZED', message: messages.join(' ') };
}

/** The check this module registers on `core.imageAdmission`. */
export function admissionCheck(core: EmulatorCore): (req: ImageAdmissionRequest) => ImageDenial | undefined {
  return (req) => evaluateAdmission(core, req);
}
