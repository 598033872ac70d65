// Entry of a WorkerHost thread (loaded through worker-boot.mjs): one actor
// system, a data link to the parent thread as the default route, and the
// comlink control plane on its own port.
import * as Comlink from 'comlink';
import { workerData, type MessagePort } from 'node:worker_threads';
import { ActorSystem } from './actor-system.js';
import { ConsoleLogger, type LogLevel } from './logger.js';
import { Router } from './router.js';
import { portEndpoint, WorkerControlService } from './worker-control.js';
import { WorkerLink } from './worker-link.js';

/** What WorkerHost passes in workerData. */
export interface WorkerBootData {
  systemName: string;
  dataPort: MessagePort;
  controlPort: MessagePort;
  logLevel?: LogLevel;
}

const boot = workerData as WorkerBootData;
const system = new ActorSystem({ name: boot.systemName, logger: new ConsoleLogger(boot.systemName, boot.logLevel) });
const router = new Router(system);
router.setDefault(new WorkerLink(router, boot.dataPort, 'parent thread'));
Comlink.expose(new WorkerControlService(system, router), portEndpoint(boot.controlPort));
