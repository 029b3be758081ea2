/**
 * Runs before every test file: the developer's own gcloud configuration and Google
 * Cloud environment never leak into a test. `CLOUDSDK_CONFIG` points at an empty
 * directory (so `~/.config/gcloud` is not read) and the variables that choose a default
 * project or region, or real Google Cloud, are removed; tests that need them set them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-gcloud-none-'));
process.env.CLOUDSDK_CONFIG = empty;
for (const name of ['CLOUDSDK_ACTIVE_CONFIG_NAME', 'CLOUDSDK_CORE_PROJECT', 'CLOUDSDK_RUN_REGION', 'GOOGLE_CLOUD_PROJECT', 'GCLOUD_PROJECT']) delete process.env[name];

// The emulator's Secret Manager key (sealing payloads at rest) goes to a per-run
// temporary file, never to the developer's ~/.local/state.
process.env.RUNCTL_EMULATOR_KEY_FILE = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-emukey-')), 'emulator-secrets.key');
