/** Names of the files in an engine directory (see FORMAT.md). */

export function tableFileName(n: number): string {
  return `${String(n).padStart(6, '0')}.sst`;
}
export function walFileName(n: number): string {
  return `${String(n).padStart(6, '0')}.log`;
}
export function manifestFileName(n: number): string {
  return `MANIFEST-${String(n).padStart(6, '0')}`;
}
export const CURRENT_FILE = 'CURRENT';

export type ParsedFileName =
  | { kind: 'table' | 'wal' | 'manifest'; number: number }
  | { kind: 'current' | 'temp' | 'other' };

export function parseFileName(name: string): ParsedFileName {
  if (name === CURRENT_FILE) return { kind: 'current' };
  if (name.endsWith('.tmp')) return { kind: 'temp' };
  let m = /^(\d+)\.sst$/.exec(name);
  if (m) return { kind: 'table', number: Number(m[1]) };
  m = /^(\d+)\.log$/.exec(name);
  if (m) return { kind: 'wal', number: Number(m[1]) };
  m = /^MANIFEST-(\d+)$/.exec(name);
  if (m) return { kind: 'manifest', number: Number(m[1]) };
  return { kind: 'other' };
}
