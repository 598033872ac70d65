import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

/** Loads api/edgekv.proto once; both the server and the client use this definition. */
const protoPath = fileURLToPath(new URL('./edgekv.proto', import.meta.url));

const definition = protoLoader.loadSync(protoPath, {
  keepCase: false,
  // Unknown enum numbers stay numbers, so the server can refuse them by name.
  enums: String,
  longs: Number,
  defaults: true,
  oneofs: true,
});

const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  edgekv: { v1: { EdgeKV: grpc.ServiceClientConstructor } };
};

export const EdgeKVService = loaded.edgekv.v1.EdgeKV;
