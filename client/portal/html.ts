/** HTML built from templates that escape every interpolated value unless it is already HTML. */
import { escapeHtml } from '../../activities/notices/render.js';

/** Markup that is safe to insert as is: it was built by `html`, never from raw input. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(value: Part): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** A template literal tag: strings, numbers and arrays are escaped; nested `html` is kept. */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0];
  values.forEach((v, i) => (out += render(v) + strings[i + 1]));
  return new Html(out);
}

/** Joins fragments into one. */
export function join(parts: Part[], separator = ''): Html {
  return new Html(parts.map(render).join(separator));
}
