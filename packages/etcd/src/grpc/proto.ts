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
  /** v3lockpb.Lock and v3electionpb.Election (etcd's concurrency services). */
  readonly Lock: ServiceDefinition;
  readonly Election: ServiceDefinition;
}

let loaded: EtcdServices | undefined;
let rootCache: GrpcObject | undefined;

/** Every vendored package: etcdserverpb, v3lockpb, v3electionpb (one load, shared messages). */
function rootPackage(): GrpcObject {
  rootCache ??= loadPackageDefinition(loadSync(['rpc.proto', 'v3lock.proto', 'v3election.proto'], { ...LOADER_OPTIONS, includeDirs: [PROTO_DIR] })) as GrpcObject;
  return rootCache;
}

/** The package and name of each service. */
const SERVICE_PATH: Record<keyof EtcdServices, [string, string]> = {
  KV: ['etcdserverpb', 'KV'],
  Watch: ['etcdserverpb', 'Watch'],
  Lease: ['etcdserverpb', 'Lease'],
  Cluster: ['etcdserverpb', 'Cluster'],
  Maintenance: ['etcdserverpb', 'Maintenance'],
  Auth: ['etcdserverpb', 'Auth'],
  Lock: ['v3lockpb', 'Lock'],
  Election: ['v3electionpb', 'Election'],
};

function serviceCtor(service: keyof EtcdServices): ServiceClientConstructor {
  const [pkg, name] = SERVICE_PATH[service];
  return (rootPackage()[pkg] as GrpcObject)[name] as ServiceClientConstructor;
}

/**
 * A plain grpc-js client for one etcd service at `address` (HOST:PORT), from the vendored protos:
 * no retries or balancing, for tests and benchmarks. Methods take and give the loader's objects.
 */
export function etcdGrpcClient(service: keyof EtcdServices, address: string, creds: ChannelCredentials = credentials.createInsecure()): Client {
  const Ctor = serviceCtor(service);
  return new Ctor(address, creds);
}

/** The encoded size of each request the server decoded (etcd's --max-request-bytes is checked on it). */
const wireSizes = new WeakMap<object, number>();

/** How many bytes `request` took on the wire, if the server decoded it from there. */
export function wireBytes(request: object): number | undefined {
  return wireSizes.get(request);
}

/** A copy of `def` whose request decoders remember each request's encoded size. */
function measuringRequests(def: ServiceDefinition): ServiceDefinition {
  const out: Record<string, ServiceDefinition[string]> = {};
  for (const [name, method] of Object.entries(def)) {
    out[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        const msg: unknown = method.requestDeserialize(bytes);
        if (typeof msg === 'object' && msg !== null) wireSizes.set(msg, bytes.length);
        return msg;
      },
    };
  }
  return out as ServiceDefinition;
}

export function etcdServices(): EtcdServices {
  if (loaded) return loaded;
  const names = Object.keys(SERVICE_PATH) as (keyof EtcdServices)[];
  loaded = Object.fromEntries(names.map((n) => [n, measuringRequests(serviceCtor(n).service)])) as unknown as EtcdServices;
  return loaded;
}

/** The directory holding the vendored .proto files (tests load clients from it). */
export const protoDir = PROTO_DIR;
