/**
 * Artifact Registry v1 over gRPC (and REST through the transcoder):
 * `google.devtools.artifactregistry.v1.ArtifactRegistry` - repositories (create and
 * delete as long-running operations), their IAM policies, and Docker images - so the
 * unmodified `@google-cloud/artifact-registry` client works against it. The emulator has
 * no registry to push to: `POST /__emulator/artifact-registry/push {"image": ...}`
 * records a push. A revision whose image the emulator knows to be missing fails as
 * Cloud Run fails it. Behaviour and sources: `spec/artifact-registry.md`.
 */
import type { EmulatorCore } from '../core';
import { unary } from '../grpc';
import { GenericOperations } from '../longrunning';
import type { EmulatorModule } from './module';
import { getIamPolicy, setIamPolicy, testIamPermissions } from './artifact-registry/iam';
import { admissionCheck, getDockerImage, listDockerImages, pushImage } from './artifact-registry/images';
import { arService, pack } from './artifact-registry/protos';
import { completeCreate, completeDelete, createRepository, deleteRepository, getRepository, listRepositories, updateRepository } from './artifact-registry/repositories';
import { arNs } from './artifact-registry/state';

export { parseDockerRef } from './artifact-registry/images';

/** One operation store per core (the module object is shared by every emulator in a process). */
const stores = new WeakMap<EmulatorCore, GenericOperations>();

function operations(core: EmulatorCore): GenericOperations {
  let ops = stores.get(core);
  if (!ops) {
    ops = new GenericOperations(core, () => arNs(core).operations, pack, {
      'create-repository': (op) => completeCreate(core, op),
      'delete-repository': (op) => completeDelete(core, op),
    });
    stores.set(core, ops);
  }
  return ops;
}

type Handler = (req: any) => unknown;

function handlers(core: EmulatorCore): Record<string, [Handler, 'read' | 'write']> {
  const ops = operations(core);
  return {
    CreateRepository: [(req) => createRepository(core, ops, req), 'write'],
    GetRepository: [(req) => getRepository(core, req), 'read'],
    ListRepositories: [(req) => listRepositories(core, req), 'read'],
    UpdateRepository: [(req) => updateRepository(core, req), 'write'],
    DeleteRepository: [(req) => deleteRepository(core, ops, req), 'write'],
    GetIamPolicy: [(req) => getIamPolicy(core, req), 'read'],
    SetIamPolicy: [(req) => setIamPolicy(core, req), 'write'],
    TestIamPermissions: [(req) => testIamPermissions(core, req), 'read'],
    ListDockerImages: [(req) => listDockerImages(core, req), 'read'],
    GetDockerImage: [(req) => getDockerImage(core, req), 'read'],
  };
}

export const artifactRegistryModule: EmulatorModule = {
  name: 'artifact-registry',
  grpc(server, core) {
    const impl: Record<string, unknown> = {};
    for (const [method, [handler, kind]] of Object.entries(handlers(core))) {
      impl[method] = unary(core, `ArtifactRegistry.${method}`, kind, handler);
    }
    // Keys are the proto's method names; grpc-js also accepts the original (capitalised) names.
    server.addService(arService(), impl as any);
  },
  http(router, core) {
    // What `docker push` would do to a real registry: record an image (and tag) in a repository.
    router.add('POST', '/__emulator/artifact-registry/push', (req) => {
      const image = pushImage(core, req.body?.image, req.body?.sizeBytes);
      core.persist();
      return image;
    });
  },
  start(core) {
    const ops = operations(core);
    ops.register();
    ops.resume();
    core.imageAdmission.push(admissionCheck(core));
  },
};
