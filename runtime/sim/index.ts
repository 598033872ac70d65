export { EventQueue } from './event-queue.js';
export { SimClock, VirtualTime } from './sim-clock.js';
export { SimDisk, type DiskHandle } from './sim-disk.js';
export { perfectNetwork, SimNetwork, type DeliveryRecord, type NetworkFaults, type NetworkStats } from './sim-network.js';
export { Simulation, type NodeBoot, type SimNode, type SimulationOptions } from './simulation.js';
