/** `validate`: schemas, references and cycles of a manifest set; no API calls. */
import { keyOf, type Diagnostic } from '../../engine/types';
import type { Io } from '../io';
import { loadAndValidate } from '../manifests';

export interface ValidateOutcome {
  valid: boolean;
  /** Keys of the resources read (`Kind/name`). */
  resources: string[];
  diagnostics: Diagnostic[];
}

/** Read and check the files; every diagnostic of every file is returned together. */
export async function validateFiles(paths: string[], io: Io): Promise<ValidateOutcome> {
  const set = await loadAndValidate(paths, io);
  return { valid: set.diagnostics.length === 0, resources: set.manifests.map(keyOf), diagnostics: set.diagnostics };
}
