/** Reads a YAML or JSON file into a value, with located syntax errors. */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';

/** `<file>: <problem>` on failure. */
export async function readStructuredFile(file: string): Promise<{ ok: true; value: unknown } | { ok: false; errors: string[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, errors: [`${file}: cannot read the file (${e.code ?? e.message})`] };
  }
  try {
    return { ok: true, value: file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true }) };
  } catch (err) {
    return { ok: false, errors: [`${file}: ${(err as Error).message.split('\n')[0]}`] };
  }
}
