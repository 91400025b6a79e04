/**
 * Writes schema/plan.schema.json, the JSON Schema of a plan file generated from the zod plan schema, so that editors
 * with a YAML language server complete and check plan files. `--check` only compares and fails when it is stale.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { planSchema } from '../workflows/contract/plan.js';

/** Where the committed schema lives. */
export const PLAN_SCHEMA_FILE = fileURLToPath(new URL('../schema/plan.schema.json', import.meta.url));

/** The plan file's JSON Schema as text: the input side (defaults are optional), with each field's description and default. */
export function planJsonSchema(): string {
  const schema = z.toJSONSchema(planSchema, { io: 'input', target: 'draft-7', unrepresentable: 'throw' });
  const doc = {
    $schema: schema.$schema,
    title: 'review-cycles plan',
    ...schema,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

async function main(): Promise<void> {
  const text = planJsonSchema();
  if (process.argv.includes('--check')) {
    const committed = await readFile(PLAN_SCHEMA_FILE, 'utf8').catch(() => '');
    if (committed !== text) {
      process.stderr.write('schema/plan.schema.json is out of date: run npm run schema\n');
      process.exitCode = 1;
    }
    return;
  }
  await writeFile(PLAN_SCHEMA_FILE, text);
  process.stdout.write('wrote schema/plan.schema.json\n');
}

// Runs as a script, not when a test imports planJsonSchema.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
