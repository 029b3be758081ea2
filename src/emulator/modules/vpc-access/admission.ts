/**
 * The check Cloud Run makes of a new revision's VPC connector: a connector of the
 * service's own project must exist and be READY, or the revision fails with Cloud Run's
 * message. A connector of another project (a Shared VPC host project) is admitted: using
 * it depends on grants in that project (the Serverless VPC Access user role for Cloud
 * Run's service agent) that the emulator does not model. Sources: spec/vpc-access.md.
 */
import type { ImageAdmissionRequest, ImageDenial } from '../../admission';
import type { EmulatorCore } from '../../core';
import { vpcNs } from './state';

/** The admission check Cloud Run runs on every new revision. */
export function connectorAdmission(core: EmulatorCore): (req: ImageAdmissionRequest) => ImageDenial | undefined {
  return (req) => {
    const name = req.vpcConnector;
    if (!name) return undefined;
    const [, project] = name.split('/');
    if (project !== req.project && project !== core.projectNumber) return undefined;
    const canonical = `projects/${req.project}/${name.split('/').slice(2).join('/')}`;
    if (vpcNs(core).connectors[canonical]?.state === 'READY') return undefined;
    return {
      reason: 'VPC_NETWORK_NOT_FOUND',
      message: `VPC connector ${name} does not exist, or Cloud Run does not have permission to use it.`,
    };
  };
}
