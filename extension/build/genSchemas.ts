import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { configSchema } from '../shared/config';
import { recordingSchema } from '../shared/recording';
import { runManifestSchema } from '../shared/runManifest';

// Editors validate with JSON Schemas generated from the zod schemas, so the two can never disagree.
// `--check` fails (exit 1) when the committed files are stale; CI runs it.

const OUT_DIR = path.join('extension', 'shared', 'schemas');

const schemas: { file: string; title: string; schema: z.ZodType; editorOnly?: boolean }[] = [
  { file: 'fastbench.schema.json', title: 'FastBench configuration (fastbench.json)', schema: configSchema },
  { file: 'recording.schema.json', title: 'FastBench recording, version 2 (*.fbrec.json)', schema: recordingSchema },
  { file: 'run.schema.json', title: 'FastBench run manifest (run.json)', schema: runManifestSchema },
  // What editors get for *.fbrec.json: descriptions and completions only; FastBench reports the problems.
  { file: 'recording.editor.schema.json', title: 'FastBench recording, version 2 (*.fbrec.json)', schema: recordingSchema, editorOnly: true },
];

function render(title: string, schema: z.ZodType, editorOnly = false): string {
  // io "input": fields with defaults are optional for the person writing the file.
  const json = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return JSON.stringify({ title, ...(editorOnly ? (describeOnly(json) as Record<string, unknown>) : json) }, null, 2) + '\n';
}

const CONSTRAINTS = [
  'required',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'pattern',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'additionalProperties',
  'type',
  'format',
  'not',
  'propertyNames',
  'additionalItems',
];

/**
 * A schema that describes and completes but never complains: FastBench validates recordings itself (one precise
 * diagnostic per problem), so the editor's JSON server must not add a second, vaguer one (e.g. oneOf's
 * 'Value must be "move"'). Branches of oneOf/anyOf merge into one set of properties; enum/const become examples.
 */
function describeOnly(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(describeOnly);
  if (!node || typeof node !== 'object') return node;
  const src = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) {
    if (CONSTRAINTS.includes(k) || k === 'oneOf' || k === 'anyOf' || k === 'allOf' || k === 'enum' || k === 'const') continue;
    if (k === 'properties' || k === 'definitions' || k === '$defs') out[k] = Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([p, s]) => [p, describeOnly(s)]));
    else out[k] = describeOnly(v);
  }
  const examples: unknown[] = [];
  if (Array.isArray(src.enum)) examples.push(...(src.enum as unknown[]));
  if ('const' in src) examples.push(src.const);
  for (const key of ['oneOf', 'anyOf', 'allOf'] as const) {
    for (const branch of (src[key] as unknown[] | undefined) ?? []) {
      const b = describeOnly(branch) as Record<string, unknown>;
      if (b.properties) out.properties = { ...(b.properties as object), ...((out.properties as object) ?? {}) };
      const bx = (b.examples as unknown[] | undefined) ?? [];
      examples.push(...bx);
      if (b.properties) {
        // Each branch's discriminating value (e.g. "type": "move") becomes an example of that property.
        for (const [p, s] of Object.entries(b.properties as Record<string, Record<string, unknown>>)) {
          const merged = (out.properties as Record<string, Record<string, unknown>>)[p]!;
          const ex = [...((merged.examples as unknown[]) ?? []), ...((s.examples as unknown[]) ?? [])];
          if (ex.length) merged.examples = [...new Set(ex.map((e) => JSON.stringify(e)))].map((e) => JSON.parse(e) as unknown);
        }
      }
    }
  }
  if (examples.length) out.examples = [...new Set(examples.map((e) => JSON.stringify(e)))].map((e) => JSON.parse(e) as unknown);
  return out;
}

const check = process.argv.includes('--check');
const stale: string[] = [];
for (const { file, title, schema, editorOnly } of schemas) {
  const target = path.join(OUT_DIR, file);
  const text = render(title, schema, editorOnly);
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
