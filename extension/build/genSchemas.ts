import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { configSchema } from '../shared/config';
import { recordingSchema } from '../shared/recording';
import { runManifestSchema } from '../shared/runManifest';

// Editors validate with JSON Schemas generated from the zod schemas, so the two can never disagree.
// `--check` fails (exit 1) when the committed files are stale; CI runs it.

const OUT_DIR = path.join('extension', 'shared', 'schemas');

const schemas: { file: string; title: string; schema: z.ZodType }[] = [
  { file: 'fastbench.schema.json', title: 'FastBench configuration (fastbench.json)', schema: configSchema },
  { file: 'recording.schema.json', title: 'FastBench recording, version 2 (*.fbrec.json)', schema: recordingSchema },
  { file: 'run.schema.json', title: 'FastBench run manifest (run.json)', schema: runManifestSchema },
];

function render(title: string, schema: z.ZodType): string {
  // io "input": fields with defaults are optional for the person writing the file.
  const json = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' });
  return JSON.stringify({ title, ...json }, null, 2) + '\n';
}

const check = process.argv.includes('--check');
const stale: string[] = [];
for (const { file, title, schema } of schemas) {
  const target = path.join(OUT_DIR, file);
  const text = render(title, schema);
  if (check) {
    let current = '';
    try {
      current = readFileSync(target, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current !== text) stale.push(target);
  } else {
    writeFileSync(target, text);
    console.log(`wrote ${target}`);
  }
}
if (stale.length) {
  console.error(`JSON Schemas are stale: ${stale.join(', ')}. Run "npm run schemas" and commit the result.`);
  process.exit(1);
}
if (check) console.log(`JSON Schemas up to date (${schemas.length})`);
