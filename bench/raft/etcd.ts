// The anchor: a 3-member etcd on 127.0.0.1 with default settings (fsync on),
// driven by the etcd3 client (grpc-js). Installed from Debian if missing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';

export interface EtcdCluster {
  readonly endpoints: string[];
  readonly version: string;
  stop(): Promise<void>;
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Makes sure `etcd` is on PATH (apt-get as BENCHMARKS.md says); returns false if it cannot be had. */
export function ensureEtcd(log: (line: string) => void): boolean {
  if (has('etcd')) return true;
  log('etcd not found; installing etcd-server etcd-client with apt-get');
  const update = spawnSync('apt-get', ['update'], { stdio: 'ignore' });
  if (update.status !== 0) return false;
  const install = spawnSync('apt-get', ['install', '-y', 'etcd-server', 'etcd-client'], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return install.status === 0 && has('etcd');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export async function startEtcd(size: number): Promise<EtcdCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'edgekv-bench-etcd-'));
  const clientPorts: number[] = [];
  const peerPorts: number[] = [];
  for (let i = 0; i < size; i++) {
    clientPorts.push(await freePort());
    peerPorts.push(await freePort());
  }
  const initial = peerPorts.map((p, i) => `e${i + 1}=http://127.0.0.1:${p}`).join(',');
  const procs: ChildProcess[] = [];
  for (let i = 0; i < size; i++) {
    const args = [
      '--name', `e${i + 1}`,
      '--data-dir', join(dir, `e${i + 1}`),
      '--listen-client-urls', `http://127.0.0.1:${clientPorts[i]}`,
      '--advertise-client-urls', `http://127.0.0.1:${clientPorts[i]}`,
      '--listen-peer-urls', `http://127.0.0.1:${peerPorts[i]}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPorts[i]}`,
      '--initial-cluster', initial,
      '--initial-cluster-state', 'new',
      '--log-level', 'error',
    ];
    procs.push(spawn('etcd', args, { stdio: 'ignore' }));
  }
  const endpoints = clientPorts.map((p) => `http://127.0.0.1:${p}`);
  const version = (spawnSync('etcd', ['--version']).stdout?.toString().split('\n')[0] ?? '').trim();
  // Wait until the cluster takes a write.
  const probe = new Etcd3({ hosts: endpoints });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await probe.put('edgekv-bench-probe').value('1');
      break;
    } catch (e) {
      if (Date.now() > deadline) {
        for (const p of procs) p.kill('SIGKILL');
        throw new Error(`etcd did not come up: ${(e as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  probe.close();
  return {
    endpoints,
    version,
    async stop() {
      await Promise.all(
        procs.map(
          (p) =>
            new Promise<void>((resolve) => {
              if (p.exitCode !== null) return resolve();
              p.once('exit', () => resolve());
              p.kill('SIGTERM');
            }),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
