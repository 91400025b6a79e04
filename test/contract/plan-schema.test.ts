/**
 * The committed JSON Schema of plan files: it is the one the zod plan schema generates, every field carries a
 * description, and every good plan the project ships or tests with validates against it.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { starterPlan } from '../../client/plan-starter.js';
import { generatePlan } from '../../scripts/generate-plan.js';
import { PLAN_SCHEMA_FILE, planJsonSchema } from '../../scripts/plan-schema.js';
import { planAroundNow } from '../helpers/dev-server.js';
import { yearPlan } from '../fixtures/plans.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const examples = readdirSync(join(root, 'examples')).filter((f) => /\.ya?ml$/.test(f));
// ajv-formats is CommonJS: its default export arrives wrapped under NodeNext.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

let validate: ValidateFunction;
beforeAll(() => {
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats(ajv);
  validate = ajv.compile(JSON.parse(readFileSync(PLAN_SCHEMA_FILE, 'utf8')));
});

const errors = () => JSON.stringify(validate.errors);

describe('schema/plan.schema.json', () => {
  test('is the schema the zod plan schema generates (run npm run schema after changing it)', () => {
    expect(readFileSync(PLAN_SCHEMA_FILE, 'utf8')).toBe(planJsonSchema());
  });

  test('describes every field', () => {
    const missing: string[] = [];
    const walk = (node: Record<string, any>, path: string) => {
      for (const [k, v] of Object.entries<Record<string, any>>(node.properties ?? {})) {
        if (!v.description) missing.push(`${path}.${k}`);
        walk(v, `${path}.${k}`);
      }
      if (node.items) walk(node.items, `${path}[]`);
      for (const alt of node.anyOf ?? []) walk(alt, path);
    };
    const schema = JSON.parse(readFileSync(PLAN_SCHEMA_FILE, 'utf8'));
    walk(schema, '');
    expect(missing).toEqual([]);
    expect(schema.properties.cadence.properties.closeAfterDays.default).toBe(90);
    expect(schema.properties.locale.default).toBe('en');
  });

  test.each(examples)('examples/%s starts with the schema comment and validates', (name) => {
    const text = readFileSync(join(root, 'examples', name), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../schema/plan.schema.json');
    expect(validate(parse(text)), errors()).toBe(true);
  });

  test('the test fixtures, the generated plans and the starter plan validate', () => {
    const plans: [string, unknown][] = [
      ['yearPlan', yearPlan()],
      ['yearPlan zh-CN', yearPlan('zh', { locale: 'zh-CN' })],
      ['planAroundNow', planAroundNow('around-now').plan],
      ['generatePlan', generatePlan({ tasks: 5, unitsPerTask: 3, years: 2 })],
      ['starter', parse(starterPlan('./plan.schema.json', 2031))],
    ];
    for (const [name, plan] of plans) expect(validate(plan), `${name}: ${errors()}`).toBe(true);
  });

  test('refuses what the plan schema refuses', () => {
    const good = parse(readFileSync(join(root, 'examples/demo-plan.yaml'), 'utf8'));
    expect(validate({ ...good, unknownField: 1 })).toBe(false);
    expect(validate({ ...good, cadence: { ...good.cadence, sendTime: '25:00' } })).toBe(false);
    expect(validate({ ...good, units: [] })).toBe(false);
    expect(validate({ ...good, headquarters: { name: 'HQ', email: 'not-an-address' } })).toBe(false);
  });
});
