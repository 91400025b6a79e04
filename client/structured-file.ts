/** Reads a YAML or JSON file into a value, with located syntax errors. */
import { readFile, stat } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';

/** The largest file read (the same bound as a plan file's). */
export const MAX_STRUCTURED_FILE_BYTES = 8 * 1024 * 1024;

/** A parser's own failure in the words of the person editing the file. */
function problemOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof RangeError || /Maximum call stack size exceeded/.test(message)) return 'the file nests lists and maps too deeply';
  if (/Excessive alias count/.test(message)) return 'the file uses aliases (*name) so often that expanding them would exhaust memory; write the values out instead';
  return message.split('\n')[0];
}

/** `<file>: <problem>` on failure. */
export async function readStructuredFile(file: string): Promise<{ ok: true; value: unknown } | { ok: false; errors: string[] }> {
  let text: string;
  try {
    const size = (await stat(file)).size;
    if (size > MAX_STRUCTURED_FILE_BYTES) return { ok: false, errors: [`${file}: the file is too large: ${size} bytes, at most ${MAX_STRUCTURED_FILE_BYTES} (8 MB)`] };
    text = await readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, errors: [`${file}: cannot read the file (${e.code ?? e.message})`] };
  }
  try {
    return { ok: true, value: file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true }) };
  } catch (err) {
    return { ok: false, errors: [`${file}: ${problemOf(err)}`] };
  }
}
