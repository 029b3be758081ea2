/**
 * Typed reads of the emulator's `/__emulator/` control plane for tests that hold only its
 * HTTP address (`host:port`): call counters and their reset.
 */
import type { StatsSnapshot } from '../../src/emulator/stats';

/** `GET /__emulator/stats`: reads, writes and calls per method since the last reset. */
export async function emulatorStats(http: string): Promise<StatsSnapshot> {
  const res = await fetch(`http://${http}/__emulator/stats`);
  if (!res.ok) throw new Error(`GET /__emulator/stats answered ${res.status}`);
  // The emulator answers Stats.toJSON() (src/emulator/admin.ts).
  return (await res.json()) as StatsSnapshot;
}

/** `POST /__emulator/stats/reset`: zero every counter. */
export async function resetEmulatorStats(http: string): Promise<void> {
  const res = await fetch(`http://${http}/__emulator/stats/reset`, { method: 'POST' });
  if (!res.ok) throw new Error(`POST /__emulator/stats/reset answered ${res.status}`);
}
