// Entry of a host child process: registers tsx so the process can load the
// project's TypeScript, then runs host-main.ts (like runtime/worker-boot.mjs
// does for threads). tsx resolves from this file, whatever the caller's cwd.
import { register } from 'tsx/esm/api';

register();
await import('./host-main.ts');
