/**
 * What an API module of the emulator is: it registers gRPC services and/or HTTP routes
 * and keeps its state in its own namespace of `core.state`. Modules import this file,
 * never the module index, so the index is the only file that knows them all.
 */
import type { Server } from '@grpc/grpc-js';
import type { EmulatorCore } from '../core';
import type { Router } from '../http';

/** One emulated API. */
export interface EmulatorModule {
  name: string;
  grpc?(server: Server, core: EmulatorCore): void;
  http?(router: Router, core: EmulatorCore): void;
  /** Called once both servers listen (background timers, traffic model). */
  start?(core: EmulatorCore): void;
  stop?(core: EmulatorCore): void;
}
