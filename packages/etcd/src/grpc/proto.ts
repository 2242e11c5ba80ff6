/**
 * @module grpc/proto
 * etcd's services, loaded at start-up from the vendored .proto files (proto/, see its README)
 * with @grpc/proto-loader: the messages are encoded by protobufjs from upstream's schema, never
 * by hand. int64/uint64 fields arrive as decimal strings; enums as their names.
 */
import { loadSync, type Options } from '@grpc/proto-loader';
import { credentials, loadPackageDefinition, type Client, type ChannelCredentials, type GrpcObject, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import { fileURLToPath } from 'node:url';
import Long from 'long';
import protobuf from 'protobufjs';

// protobufjs finds `long` with a CommonJS require that ES modules and bundles do not have; without
// it, uint64 member ids above 2^53 would be rounded. Hand it over explicitly.
protobuf.util.Long = Long;
protobuf.configure();

/** proto/ is beside src/ and dist/ alike. */
const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));

export const LOADER_OPTIONS: Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

export interface EtcdServices {
  readonly KV: ServiceDefinition;
  readonly Watch: ServiceDefinition;
  readonly Lease: ServiceDefinition;
  readonly Cluster: ServiceDefinition;
  readonly Maintenance: ServiceDefinition;
  readonly Auth: ServiceDefinition;
}

let loaded: EtcdServices | undefined;
let pkgCache: GrpcObject | undefined;

function etcdPackage(): GrpcObject {
  pkgCache ??= (loadPackageDefinition(loadSync('rpc.proto', { ...LOADER_OPTIONS, includeDirs: [PROTO_DIR] })) as GrpcObject).etcdserverpb as GrpcObject;
  return pkgCache;
}

/**
 * A plain grpc-js client for one etcd service at `address` (HOST:PORT), from the vendored protos:
 * no retries or balancing, for tests and benchmarks. Methods take and give the loader's objects.
 */
export function etcdGrpcClient(service: keyof EtcdServices, address: string, creds: ChannelCredentials = credentials.createInsecure()): Client {
  const Ctor = etcdPackage()[service] as ServiceClientConstructor;
  return new Ctor(address, creds);
}

export function etcdServices(): EtcdServices {
  if (loaded) return loaded;
  const pkg = etcdPackage();
  const service = (name: string) => (pkg[name] as unknown as { service: ServiceDefinition }).service;
  loaded = {
    KV: service('KV'),
    Watch: service('Watch'),
    Lease: service('Lease'),
    Cluster: service('Cluster'),
    Maintenance: service('Maintenance'),
    Auth: service('Auth'),
  };
  return loaded;
}

/** The directory holding rpc.proto, kv.proto and auth.proto (tests load clients from it). */
export const protoDir = PROTO_DIR;
