import type { CompactionJobInput, CompactionJobOutput } from '../compaction-job.js';
import type { FlushJobInput, FlushJobOutput } from '../flush-job.js';
import { InlineJobRunner, type StorageJobRunner } from '../job-runner.js';

/** Runs jobs inline but holds each until the test releases it, to freeze the engine mid-flush. */
export class GatedJobRunner implements StorageJobRunner {
  private readonly inner = new InlineJobRunner();
  private gates: (() => void)[] = [];
  gated = true;

  get waiting(): number {
    return this.gates.length;
  }

  releaseAll(): void {
    const g = this.gates;
    this.gates = [];
    for (const r of g) r();
  }

  private async gate(): Promise<void> {
    if (this.gated) await new Promise<void>((r) => this.gates.push(r));
  }

  async flush(input: FlushJobInput): Promise<FlushJobOutput> {
    await this.gate();
    return this.inner.flush(input);
  }

  async compact(input: CompactionJobInput): Promise<CompactionJobOutput> {
    await this.gate();
    return this.inner.compact(input);
  }
}
