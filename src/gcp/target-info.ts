/**
 * The resolved target of a run, as the clients and the engine both need it. Resolved
 * from flags and environment by `src/lib/target.ts`; the engine's contract re-exports it.
 */

/** The resolved target of a run: which API endpoint and which project/region defaults. */
export interface TargetInfo {
  /** `embedded` emulator, standalone `emulator`, or real `google` Cloud. */
  mode: 'embedded' | 'emulator' | 'google';
  /** Human-readable description for the plan's first line. */
  description: string;
  /**
   * Which API endpoint this is, for saved plans' target check: `grpc=H:P http=H:P+1`
   * (standalone emulator), `embedded:<state directory>`, or the Google API root.
   */
  endpoint?: string;
  /**
   * Default project for manifests without `spec.project`: --project, else
   * GOOGLE_CLOUD_PROJECT, else the gcloud configuration's `core/project`. A manifest's
   * own value always wins (`src/engine/location.ts`).
   */
  project?: string;
  /** Default region for manifests without `spec.region`: --region, CLOUDSDK_RUN_REGION, gcloud's `run/region`. */
  region?: string;
  /** Where `project` / `region` came from, for messages (e.g. `--project`, `gcloud configuration "default"`). */
  sources?: { project?: string; region?: string };
  /** The explicit `--project` / `--region` flags: one contradicting a manifest's own value is an error. */
  flags?: { project?: string; region?: string };
  /** Project used when neither a manifest nor the defaults name one (emulators only). */
  fallbackProject?: string;
  /** Region used when neither a manifest nor the defaults name one. @default 'us-central1' */
  fallbackRegion: string;
}
