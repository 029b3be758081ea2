/**
 * The one registry of kinds: every controller runctl knows. Adding a kind means adding
 * its controller file and one line here; the engine has no kind-specific code.
 */
import type { AnyController } from '../src/engine/controller';
import { loadBalancerController } from './load-balancer';
import { serviceController } from './service';
import { policyController } from './policy';
import { sloController } from './slo';
import { gpuModelController } from './gpu-model';
import { volumeController } from './volume';
import { repositoryController } from './repository';
import { domainMappingController } from './domain-mapping';
import { scheduleController } from './schedule';
import { secretController } from './secret';
import { vpcConnectorController } from './vpc-connector';
import { serviceAccountController } from './service-account';

export const CONTROLLERS: readonly AnyController[] = [serviceController, volumeController, loadBalancerController, policyController, sloController, gpuModelController, domainMappingController, scheduleController, repositoryController, vpcConnectorController, serviceAccountController, secretController];
