/**
 * Proto loading for the Serverless VPC Access module: gRPC definitions and a protobufjs
 * Root from the protos shipped with `@google-cloud/vpc-access` (the text its client is
 * generated from), to pack `google.protobuf.Any` payloads of operations.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as protobuf from 'protobufjs';
import { loadProtos, packAny, protoIncludeDirs, protoRootOf } from '../../grpc';

const FILES = ['google/cloud/vpcaccess/v1/vpc_access.proto'];
const PKG = 'google.cloud.vpcaccess.v1';

/** The loaded definitions, built once per process. */
export interface VpcProtos {
  /** gRPC service definition of `VpcAccessService`. */
  service: any;
  root: protobuf.Root;
}

let cached: VpcProtos | undefined;

/** Load (once) the VPC Access protos for gRPC and protobufjs. */
export function vpcProtos(): VpcProtos {
  if (cached) return cached;
  const pkg = loadProtos(FILES);
  const root = protoRootOf(FILES[0]) ?? loadTextRoot();
  root.resolveAll();
  cached = { service: pkg.google.cloud.vpcaccess.v1.VpcAccessService, root };
  return cached;
}

/** The protos parsed from their .proto text (when the package ships no JSON descriptor). */
function loadTextRoot(): protobuf.Root {
  const pb = require('protobufjs') as typeof protobuf;
  const root = new pb.Root();
  const dirs = protoIncludeDirs();
  root.resolvePath = (_origin, target) => {
    // protobufjs bundles the well-known types; let it use them.
    if (target.startsWith('google/protobuf/')) return target;
    for (const dir of dirs) {
      const candidate = path.join(dir, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    return target;
  };
  root.loadSync(FILES, { keepCase: false });
  return root;
}

/** Full type names of what operations carry. */
export const TYPES = {
  connector: `${PKG}.Connector`,
  metadata: `${PKG}.OperationMetadata`,
  empty: 'google.protobuf.Empty',
} as const;

/** Pack a message of a full type name (`TYPES`) as an Any. */
export function packVpc(fullName: string, value: unknown): { typeUrl: string; value: Buffer } {
  return packAny(fullName, vpcProtos().root.lookupType(fullName), value);
}
