/**
 * Serverless VPC Access state (namespace `vpcaccess` of the emulator state): connectors
 * in their canonical plain form (camelCase, enum names) and the module's long-running
 * operations, persisted with everything else so pending ones resume after a restart.
 */
import type { EmulatorCore } from '../../core';
import type { StoredOperation } from '../../longrunning';

/** A message in its plain form. */
export type Obj = Record<string, any>;

/** Everything the module keeps in `core.state.vpcaccess`. */
export interface VpcNamespace {
  /** Connectors by full name. */
  connectors: Record<string, Obj>;
  /** Operations (served through `core.operationSources` by a `GenericOperations`). */
  operations: Record<string, StoredOperation>;
}

/** The module's state namespace. */
export function vpcNs(core: EmulatorCore): VpcNamespace {
  return core.ns<VpcNamespace>('vpcaccess', () => ({ connectors: {}, operations: {} }));
}

/** `{seconds, nanos}` of a simulated ms time. */
export function ts(ms: number): { seconds: string; nanos: number } {
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}
