export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** One JSON line per record on stderr; records below `minLevel` are skipped. */
export class ConsoleLogger implements Logger {
  constructor(
    private readonly source: string,
    private readonly minLevel: LogLevel = (process.env.EDGEKV_LOG_LEVEL as LogLevel | undefined) ?? 'info',
  ) {}

  log(level: LogLevel, message: string, fields?: LogFields): void {
    if (rank[level] < rank[this.minLevel]) return;
    process.stderr.write(JSON.stringify({ level, source: this.source, message, ...fields }) + '\n');
  }
}

export interface LogRecord {
  level: LogLevel;
  message: string;
  fields: LogFields;
}

/** Keeps records in memory: for tests and for the simulator's replayable traces. */
export class MemoryLogger implements Logger {
  readonly records: LogRecord[] = [];
  log(level: LogLevel, message: string, fields: LogFields = {}): void {
    this.records.push({ level, message, fields });
  }
  find(message: string): LogRecord[] {
    return this.records.filter((r) => r.message === message);
  }
}
