import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { formatPlanIssues, loadPlanFile } from '../../client/plan-file.js';

const demoFile = fileURLToPath(new URL('../../examples/demo-plan.yaml', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plan-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

const demoText = () => readFile(demoFile, 'utf8');

describe('loadPlanFile', () => {
  it('loads the demo plan, with the defaults applied and the text as source', async () => {
    const result = await loadPlanFile(demoFile);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.source).toBe(await demoText());
    expect(result.plan.start).toBe('2027-01-01');
    expect(result.plan.calendar?.holidays[0]).toBe('2027-01-01');
    expect(result.plan.cadence.sendTime).toBe('09:00');
    expect(result.plan.cadence.closeAfterDays).toBe(90);
    expect(result.plan.locale).toBe('en');
  });

  it('loads a JSON version of the demo plan to the same plan', async () => {
    const json = JSON.stringify(parse(await demoText(), { version: '1.2', schema: 'core' }), null, 2);
    const file = await write('demo-plan.json', json);
    const fromJson = await loadPlanFile(file);
    const fromYaml = await loadPlanFile(demoFile);
    expect(fromJson.ok).toBe(true);
    if (!fromJson.ok || !fromYaml.ok) return;
    expect(fromJson.plan).toEqual(fromYaml.plan);
    expect(fromJson.source).toBe(json);
  });

  it('reads .yml files and a byte order mark', async () => {
    const file = await write('demo.yml', `\uFEFF${await demoText()}`);
    expect((await loadPlanFile(file)).ok).toBe(true);
  });

  it('reads YAML 1.2: dates, times and yes/no stay strings', async () => {
    const text = (await demoText()).replace('sendTime: "09:00"', 'sendTime: 09:00').replace('title: Rural revitalization', 'title: no');
    const result = await loadPlanFile(await write('yaml12.yaml', text));
    expect(result).toMatchObject({ ok: true, plan: { cadence: { sendTime: '09:00' }, aspects: [{}, { title: 'no' }] } });
  });

  it('reports a missing file and a directory in one line', async () => {
    const missing = join(dir, 'nope.yaml');
    expect(await loadPlanFile(missing)).toEqual({ ok: false, errors: [`${missing}: cannot read the file: it does not exist`] });
    expect(await loadPlanFile(dir)).toEqual({ ok: false, errors: [`${dir}: cannot read the file: it is a directory`] });
  });

  it('reports YAML syntax errors with line:col', async () => {
    const file = await write('broken.yaml', 'id: x\ntitle: "unterminated\n');
    const result = await loadPlanFile(file);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(new RegExp(`^${escape(file)}: YAML syntax error at \\d+:\\d+: `));
  });

  it('reports an alias to an unknown anchor', async () => {
    const file = await write('alias.yaml', (await demoText()).replace('title: Three-Year Action Plan (demo)', 'title: *nope'));
    const result = await loadPlanFile(file);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]).toMatch(new RegExp(`^${escape(file)}: YAML (syntax )?error.*nope`));
  });

  it('reports duplicate keys in YAML and JSON, with the plan errors too', async () => {
    const yaml = await write('dup.yaml', (await demoText()).replace('id: demo-2027\n', 'id: demo-2027\nid: other!\n'));
    expect(await loadPlanFile(yaml)).toEqual({
      ok: false,
      errors: [
        `${yaml}: id: duplicate key (first at 2:1, again at 3:1)`, // line 1 is the schema comment
        `${yaml}: id: must be 1-64 letters, digits, "-", "_" or "." (starting with a letter or digit), got "other!"`,
      ],
    });
    const json = await write('dup.json', '{\n  "a": {"b": 1, "c": [{"d": 1, "d": 2}]},\n  "a": 2\n}');
    const result = await loadPlanFile(json);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.slice(0, 3)).toEqual([
      `${json}: a.c[0].d: duplicate key (first at 2:24, again at 2:32)`,
      `${json}: a: duplicate key (first at 2:3, again at 3:3)`,
      `${json}: unknown field "a"`,
    ]);
  });

  it('reports JSON syntax errors with line:col', async () => {
    const cases: [string, string][] = [
      ['{\n  "id": "x",\n  "title": }', '3:12: expected a value, found "}"'],
      ['{\n  "id": "x"\n  "title": "t"\n}', '3:3: expected "," or "}" after a field value, found "\\""'],
      ['{"id": "x", }', '1:13: trailing comma before "}"'],
      ['{"id": \'x\'}', `1:8: expected a value, found "'"`],
      ['{"id": "x"', '1:11: expected "," or "}" after a field value, found the end of the file'],
      ['{"id": "x"} {}', '1:13: unexpected "{" after the end of the JSON value'],
      ['{"id": "x\ny"}', '1:10: string not closed before the end of the line'],
      ['// comment\n{}', '1:1: expected a value, found "/"'],
    ];
    for (const [text, message] of cases) {
      const file = await write('syntax.json', text);
      expect(await loadPlanFile(file)).toEqual({ ok: false, errors: [`${file}: JSON syntax error at ${message}`] });
    }
  });

  it('accepts any valid JSON text (the scanner agrees with JSON.parse)', async () => {
    const text = '{"a": [1, -2.5e+3, true, false, null, "\\u00e9\\n\\"", {}], "b": {"c": []}}';
    const file = await write('valid.json', text);
    const result = await loadPlanFile(file);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.slice(0, 2)).toEqual([`${file}: unknown field "a"`, `${file}: unknown field "b"`]);
    expect(result.errors.join('\n')).not.toMatch(/syntax|duplicate/);
  });
});

describe('formatPlanIssues', () => {
  it('formats one line per issue', () => {
    expect(
      formatPlanIssues('plans/x.yaml', [
        { path: '', message: 'the file is empty' },
        { path: 'units[0].email', message: 'must be an e-mail address, got "x"' },
        { path: 'tasks[0]', message: 'two\nlines' },
      ]),
    ).toEqual([
      'plans/x.yaml: the file is empty',
      'plans/x.yaml: units[0].email: must be an e-mail address, got "x"',
      'plans/x.yaml: tasks[0]: two lines',
    ]);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
