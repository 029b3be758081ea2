/**
 * What the one `google.longrunning.Operations` service (`longrunning.ts`) needs of each
 * module's operations: types only, so the core and the modules share them without a cycle.
 */

/** What the Operations service needs of one operation. */
export interface OperationView {
  name: string;
  done: boolean;
  /** Simulated ms when it is due. */
  doneAt: number;
  createMs: number;
  /** The `google.longrunning.Operation` message (metadata and response packed as Any). */
  wire(): Record<string, unknown>;
}

/** One module's operations. */
export interface OperationSource {
  /** The operation, when this source holds `name` (completed first if it is due). */
  find(name: string): OperationView | undefined;
  /** Every operation of this source under `parent` (`projects/P/locations/L`). */
  list(parent: string): OperationView[];
  /** Forget an operation; false when this source does not hold it. */
  remove(name: string): boolean;
}
