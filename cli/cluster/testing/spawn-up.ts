// Test helper: `node cli/edgekv.mjs up ...` as a child process, its output
// collected, waited on line by line, and everything it started killed on
// cleanup even when a test fails half-way.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readRunFile } from '../data-dir.js';

export const edgekvBin = fileURLToPath(new URL('../../edgekv.mjs', import.meta.url));
export const standinBootModule = new URL('./standin-edge.ts', import.meta.url).href;

export class UpProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  private readonly knownPids = new Set<number>();

  constructor(
    readonly dataDir: string,
    args: string[],
    env: Record<string, string> = {},
  ) {
    this.child = spawn(process.execPath, [edgekvBin, 'up', '--data-dir', dataDir, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      this.lines.push(...parts);
      for (const w of [...this.waiters]) w();
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    // If the test process itself goes away, take `up` with it (its hosts follow: they exit when `up`'s IPC channel closes).
    const onExit = (): void => void this.child.kill('SIGKILL');
    process.once('exit', onExit);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        process.off('exit', onExit);
        resolve({ code, signal });
      }),
    );
    void this.exited.then(() => {
      for (const w of [...this.waiters]) w();
    });
  }

  /** The first output line matching `pattern`; fails if `up` exits or `timeoutMs` passes first. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output:\n${this.tail()}`)), timeoutMs);
      const check = (): void => {
        this.rememberPids();
        const line = this.lines.find((l) => pattern.test(l));
        if (line !== undefined) finish(undefined, line);
        else if (this.child.exitCode !== null || this.child.signalCode !== null) finish(new Error(`edgekv up exited before printing ${pattern}; output:\n${this.tail()}`));
      };
      const finish = (error: Error | undefined, line?: string): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (error) reject(error);
        else resolve(line!);
      };
      this.waiters.add(check);
      check();
    });
  }

  tail(n = 40): string {
    return this.lines.slice(-n).join('\n');
  }

  /** Host pids from the run file (remembered, so cleanup can kill them after the file is gone). */
  hostPids(): Record<string, number> {
    const run = readRunFile(this.dataDir);
    for (const pid of Object.values(run?.hosts ?? {})) this.knownPids.add(pid);
    return run?.hosts ?? {};
  }

  private rememberPids(): void {
    try {
      this.hostPids();
    } catch {
      // Half-written or absent run file: try again on the next line.
    }
  }

  /** Ctrl-C, and the exit it leads to. */
  async interrupt(timeoutMs = 20_000): Promise<{ code: number | null; signal: string | null }> {
    this.child.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`up did not exit within ${timeoutMs} ms of SIGINT`)), timeoutMs)));
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Cleanup that cannot fail: SIGKILL `up` and every host process it ever reported. */
  async kill(): Promise<void> {
    this.rememberPids();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    for (const pid of this.knownPids) {
      if (pid === process.pid) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await this.exited;
  }
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs an `edgekv` client command to completion. */
export function edgekv(args: string[], env: Record<string, string> = {}): CommandResult {
  const r = spawnSync(process.execPath, [edgekvBin, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same without blocking, so independent commands can run side by side. */
export function edgekvAsync(args: string[], env: Record<string, string> = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [edgekvBin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
