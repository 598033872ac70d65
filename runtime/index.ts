export type { Actor, ActorContext, Directive, Props, SupervisorStrategy, TimerOptions } from './actor.js';
export { ActorRef, type AskOptions } from './actor-ref.js';
export { ActorSystem, type ActorSystemOptions, type RemoteEnvelope, type RemoteRouter, type SystemStats } from './actor-system.js';
export { RestartBudgetExceededError } from './actor-cell.js';
export { formatAddress, type Address } from './address.js';
export { RealClock, type Clock, type TimerHandle } from './clock.js';
export { DeadLetters, type DeadLetter, type DeadLetterReason } from './dead-letters.js';
export { runtimeDefaults } from './defaults.js';
export * from './errors.js';
export { ConsoleLogger, MemoryLogger, type Logger, type LogLevel } from './logger.js';
export type { MailboxOptions, OverflowPolicy } from './mailbox.js';
export { RealRandom, SeededRandom, type Random } from './random.js';
export { decode, encode } from './codec.js';
export { Router, decodeBatch, EnvelopeBatch, type Link, type LinkShaper, type RouterStats } from './router.js';
export {
  LinkEmulator,
  LinkSchedule,
  InvalidLinkShapeError,
  checkLinkShape,
  linkPeerOf,
  type LinkAdmission,
  type LinkDropReason,
  type LinkEmulatorOptions,
  type LinkPeerStats,
  type LinkShape,
} from './link-emulation.js';
export { WorkerLink } from './worker-link.js';
export { WorkerHost, type WorkerHostOptions } from './worker-host.js';
export type { ActorFactory, SpawnSpec, WorkerControl, WorkerStats } from './worker-control.js';
export { TcpTransport, TcpLink, HandshakeError, type DialOptions, type TcpLinkStats, type TcpTransportOptions } from './tcp-transport.js';
export { FrameTooLargeError } from './tcp-frame.js';
