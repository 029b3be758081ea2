/**
 * Secret Manager v1 over gRPC (and REST/JSON through the transcoder): secrets, versions
 * with payloads sealed at rest (`secret-manager/crypto.ts`), IAM on secrets, and the
 * revision admission check Cloud Run runs for every secret a revision reads
 * (`secret-manager/access.ts`). Behaviour: `src/emulator/spec/secret-manager.md`.
 */
import type { EmulatorCore } from '../core';
import { loadProtos, unary } from '../grpc';
import type { EmulatorModule } from './module';
import { secretAdmission } from './secret-manager/access';
import { PayloadSealer } from './secret-manager/crypto';
import { getIamPolicy, setIamPolicy, testIamPermissions } from './secret-manager/iam';
import { createSecret, deleteSecret, getSecret, listSecrets, updateSecret } from './secret-manager/secrets';
import { accessSecretVersion, addSecretVersion, changeState, getSecretVersion, listSecretVersions } from './secret-manager/versions';

export { canAccess, ACCESS_ROLES } from './secret-manager/access';
export { defaultKeyFile } from './secret-manager/crypto';
export { crc32c } from '../../util/crc32c';

const SERVICE = 'SecretManagerService';
type Handler = (req: any) => unknown;

function handlers(core: EmulatorCore): Record<string, [Handler, 'read' | 'write']> {
  return {
    ListSecrets: [(r) => listSecrets(core, r), 'read'],
    CreateSecret: [(r) => createSecret(core, r), 'write'],
    GetSecret: [(r) => getSecret(core, r), 'read'],
    UpdateSecret: [(r) => updateSecret(core, r), 'write'],
    DeleteSecret: [(r) => deleteSecret(core, r), 'write'],
    AddSecretVersion: [(r) => addSecretVersion(core, sealerOf(core), r), 'write'],
    ListSecretVersions: [(r) => listSecretVersions(core, r), 'read'],
    GetSecretVersion: [(r) => getSecretVersion(core, r), 'read'],
    AccessSecretVersion: [(r) => accessSecretVersion(core, sealerOf(core), r), 'read'],
    DisableSecretVersion: [(r) => changeState(core, r, 'DISABLED'), 'write'],
    EnableSecretVersion: [(r) => changeState(core, r, 'ENABLED'), 'write'],
    DestroySecretVersion: [(r) => changeState(core, r, 'DESTROYED'), 'write'],
    GetIamPolicy: [(r) => getIamPolicy(core, r), 'read'],
    SetIamPolicy: [(r) => setIamPolicy(core, r), 'write'],
    TestIamPermissions: [(r) => testIamPermissions(core, r), 'read'],
  };
}

let loaded: any;
const sealers = new WeakMap<EmulatorCore, PayloadSealer>();

/** The core's payload sealer: its key is read (or created) when a payload is first sealed or opened. */
function sealerOf(core: EmulatorCore): PayloadSealer {
  let s = sealers.get(core);
  if (!s) {
    s = PayloadSealer.open({ persisted: !!core.options.stateDir, keyFile: core.options.secretKeyFile });
    sealers.set(core, s);
  }
  return s;
}

export const secretManagerModule: EmulatorModule = {
  name: 'secret-manager',
  grpc(server, core) {
    loaded ??= loadProtos(['google/cloud/secretmanager/v1/service.proto'], ['google.cloud.secretmanager.v1.SecretManagerService']);
    const impl: Record<string, unknown> = {};
    for (const [method, [handler, kind]] of Object.entries(handlers(core))) {
      impl[method[0].toLowerCase() + method.slice(1)] = unary(core, `${SERVICE}.${method}`, kind, handler);
    }
    server.addService(loaded.google.cloud.secretmanager.v1.SecretManagerService.service, impl as any);
  },
  http(_router, core) {
    // Cloud Run's secret checks on every new revision (registered once: http runs once per
    // emulator, grpc again on a port retry).
    core.imageAdmission.push(secretAdmission(core));
  },
};
