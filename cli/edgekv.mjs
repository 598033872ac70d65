#!/usr/bin/env node
// The `edgekv` command (package.json "bin"): registers tsx so Node can load the
// project's TypeScript directly, then runs the command dispatcher.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
