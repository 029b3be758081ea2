/** `validate -f PATH`: schemas, references, cycles; no API calls. */
import { formatDiagnostic, keyOf, type Diagnostic } from '../../engine/types';
import { redact } from '../../engine/redact';
import type { Io } from '../../lib/io';
import { loadAndValidate } from '../../lib/manifests';

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

/** Every diagnostic on its own line, on stderr. */
function printDiagnostics(ds: Diagnostic[], io: Io): void {
  for (const d of ds) io.stderr.write(`${redact(formatDiagnostic(d))}\n`);
}
