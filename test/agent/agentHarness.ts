import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { METRICS_COLUMNS } from '../../extension/shared/metrics';
import { AGENT_NODE_FLAGS } from '../../extension/core/metrics/agentClient';

// Tests are bundled into dist/test/agent; the agent bundle is dist/agent.js.
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const AGENT_JS = path.join(REPO_ROOT, 'dist', 'agent.js');
export const AGENT_COMMAND = [process.execPath, ...AGENT_NODE_FLAGS, AGENT_JS];

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/**
 * A real busy target: burns one core, re-reads a data file on the "NAS" folder (so rchar grows) and keeps
 * files open in the NAS, FAST cache and local folders, the way a viewer holds its volume open.
 */
export function startBusyTarget(root: string, options: { exitAfterMs?: number } = {}): { child: ChildProcess; files: Record<'nas' | 'fast' | 'local', string> } {
  const files = { nas: path.join(root, 'nas', 'vol.zgy'), fast: path.join(root, 'fast', 'cache', 'brick.bin'), local: path.join(root, 'local', 'tab\tname.txt') };
  for (const f of Object.values(files)) {
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, Buffer.alloc(1 << 20, 7));
  }
  const code = `
    const fs = require('fs');
    const fds = ${JSON.stringify(Object.values(files))}.map((f) => fs.openSync(f, 'r'));
    const buf = Buffer.alloc(1 << 20);
    const end = Date.now() + ${options.exitAfterMs ?? 120_000};
    (function burn() {
      const stop = Date.now() + 50;
      while (Date.now() < stop) fs.readSync(fds[0], buf, 0, buf.length, 0);
      if (Date.now() < end) setImmediate(burn); else process.exit(0);
    })();`;
  const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  return { child, files };
}

export type CsvTable = { header: string[]; rows: string[][]; text: string };

export function readCsv(file: string, sep = ','): CsvTable {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  return {
    header: lines[0]!.split(sep),
    rows: lines
      .slice(1)
      .filter((l) => l !== '')
      .map((l) => l.split(sep)),
    text,
  };
}

export const column = (table: CsvTable, name: (typeof METRICS_COLUMNS)[number]) => table.rows.map((r) => r[table.header.indexOf(name)]!);
