export * from './contract.js';
export { bootEdgeNode, bootGateway, type EdgeNodeHooks, type GatewayHooks } from './boot.js';
export { edgeDefaults, type EdgeTuning } from './defaults.js';
export { EdgeConfigError, LeaveFailedError, MigrationError, RangeMovingError, StaleRequestError } from './errors.js';
export { EdgeFrontDoor } from './front-door.js';
export { EdgeStateMachine } from './edge-state-machine.js';
export { GroupAgent, Migrator } from './group-agent.js';
export { doorProps, type DoorReply, type DoorRequest } from './door-actor.js';
export { groupOfGateway, groupOfNode, checkLayout } from './layout.js';
