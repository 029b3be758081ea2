/** `validate -f PATH`: schemas, references, cycles; no API calls. */
import { keyOf } from '../../engine/types';
import type { Io } from '../io';
import { loadAndValidate, printDiagnostics } from '../manifests';

export async function validateCommand(flags: { filename: string[]; output?: string }, io: Io): Promise<number> {
  const set = await loadAndValidate(flags.filename, io);
  if (flags.output === 'json') {
    io.stdout.write(JSON.stringify({ valid: set.diagnostics.length === 0, resources: set.manifests.map(keyOf), diagnostics: set.diagnostics }, null, 2) + '\n');
    return set.diagnostics.length ? 1 : 0;
  }
  if (set.diagnostics.length) {
    printDiagnostics(set.diagnostics, io);
    const n = set.diagnostics.length;
    io.stderr.write(`${n} problem${n === 1 ? '' : 's'} found.\n`);
    return 1;
  }
  io.stdout.write(`${set.manifests.length} resource${set.manifests.length === 1 ? '' : 's'} valid: ${set.manifests.map(keyOf).join(', ')}\n`);
  return 0;
}
