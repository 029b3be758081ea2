/**
 * Every API the emulator serves, one module each. A module registers gRPC services
 * and/or HTTP routes and keeps its state in its own namespace of `core.state`.
 */
import type { EmulatorCore } from '../core';
import type { Router } from '../http';

export interface EmulatorModule {
  name: string;
  grpc?(server: import('@grpc/grpc-js').Server, core: EmulatorCore): void;
  http?(router: Router, core: EmulatorCore): void;
  /** Called once both servers listen (background timers, traffic model). */
  start?(core: EmulatorCore): void;
  stop?(core: EmulatorCore): void;
}

import { monitoringModule } from './monitoring';
import { cloudRunModule } from './cloud-run';
import { computeModule } from './compute';
import { storageModule } from './storage';
import { binauthzModule } from './binauthz';
import { trafficModule } from './traffic';

export const MODULES: EmulatorModule[] = [cloudRunModule, monitoringModule, computeModule, storageModule, binauthzModule, trafficModule];
