/** The emulator's start-up options (flags of `runctl emulator`, `startEmulator()`). */

/** Options shared by every module. */
export interface EmulatorOptions {
  /** Host to bind. Loopback only. @default '127.0.0.1' */
  host?: string;
  /** gRPC port; HTTP is port+1. 0 picks a free pair. @default 0 */
  port?: number;
  /** Directory for persisted state; undefined keeps state in memory. */
  stateDir?: string;
  /** Latency added to every call, ms. @default 0 */
  latencyMs?: number;
  /** Time until a long-running operation is done, ms (simulated). @default 0 */
  operationLatencyMs?: number;
  /** Simulated seconds per real second. @default 1 */
  timeScale?: number;
  /** Requests per second the traffic model sends each public service. @default 50 */
  trafficRps?: number;
  /** Images that carry a Binary Authorization attestation. */
  attested?: string[];
  /**
   * Organisation policy constraints enforced from the start (`--org-policy`), e.g.
   * `domain-restricted-sharing` (see `org-policy.ts`); changed later at `/__emulator/org-policies`.
   */
  orgPolicies?: string[];
  /**
   * Domains verified for the caller (`--verified-domain`): a Cloud Run domain mapping of
   * another domain fails with Google's "Caller is not authorized to administer the domain".
   * Unset: every domain counts as verified (there is no Search Console offline).
   */
  verifiedDomains?: string[];
  /** Project number reported for projects (emulator-wide). @default 123456789012 */
  projectNumber?: string;
  /**
   * Seed of the random source behind fault injection (rates, jitter): the same seed and
   * the same sequence of calls make the same choices. An integer in [0, 2^32).
   * @default a fresh random seed (see `EmulatorCore.random.seed`)
   */
  seed?: number;
  /**
   * File holding the key that seals Secret Manager payloads at rest (created 0600 when
   * missing). Kept outside the state directory, which may sit in a working tree.
   * @default $RUNCTL_EMULATOR_KEY_FILE, else $XDG_STATE_HOME/runctl/emulator-secrets.key, else ~/.local/state/runctl/emulator-secrets.key (only with `stateDir`; without it an in-memory key)
   */
  secretKeyFile?: string;
}
