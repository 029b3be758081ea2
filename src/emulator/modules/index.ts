/** Every API the emulator serves, one module each (the interface: `module.ts`). */
import type { EmulatorModule } from './module';
import { monitoringModule } from './monitoring';
import { cloudRunModule } from './cloud-run';
import { computeModule } from './compute';
import { storageModule } from './storage';
import { binauthzModule } from './binauthz';
import { trafficModule } from './traffic';
import { schedulerModule } from './scheduler';
import { domainMappingsModule } from './domain-mappings';
import { iamModule } from './iam';
import { secretManagerModule } from './secret-manager';
import { artifactRegistryModule } from './artifact-registry';
import { vpcAccessModule } from './vpc-access';

export type { EmulatorModule } from './module';

/** The modules, in registration order. */
export const MODULES: EmulatorModule[] = [cloudRunModule, monitoringModule, computeModule, storageModule, binauthzModule, trafficModule, schedulerModule, domainMappingsModule, iamModule, secretManagerModule, artifactRegistryModule, vpcAccessModule];
