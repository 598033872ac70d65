import { EdgeKVError } from '../runtime/errors.js';

/** The command line could not be understood; nothing was started or changed. */
export class UsageError extends EdgeKVError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** `up` was asked for another layout than the one the data directory was created with. */
export class LayoutMismatchError extends EdgeKVError {
  constructor(
    readonly dataDir: string,
    readonly saved: string,
    readonly requested: string,
  ) {
    super(
      'LAYOUT_MISMATCH',
      `the data directory ${dataDir} holds a cluster of ${saved}, but ${requested} was asked for; ` +
        `run without layout flags to bring it back as it was, or use another --data-dir for a new cluster`,
    );
  }
}

/** Another `up` already serves this data directory. */
export class ClusterRunningError extends EdgeKVError {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super('CLUSTER_RUNNING', `a cluster is already running from ${dataDir} (edgekv up, pid ${pid}); stop it with Ctrl-C or kill ${pid}`);
  }
}

/** A port the cluster needs is taken. */
export class PortInUseError extends EdgeKVError {
  constructor(
    readonly port: number,
    readonly purpose: string,
  ) {
    super('PORT_IN_USE', `port ${port} (${purpose}) is in use; is another cluster running? Pick other ports with --base-port / --internal-port`);
  }
}

/** A node or gateway failed to start, or the cluster did not become ready. */
export class HostFailedError extends EdgeKVError {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super('HOST_FAILED', `${host}: ${message}`);
  }
}

/** A file in the data directory cannot be read as what it should be. */
export class DataDirError extends EdgeKVError {
  constructor(message: string) {
    super('DATA_DIR', message);
  }
}

/** No node of the cluster answered a client command. */
export class UnreachableClusterError extends EdgeKVError {
  constructor(message: string) {
    super('UNREACHABLE_CLUSTER', message);
  }
}
