/** The page shell: language, title, the one inline style sheet (allowed by the CSP) and the header. */
import type { Catalogue } from './catalogue/en.js';
import { Html, html } from './html.js';

const STYLE = `
body{font-family:system-ui,sans-serif;margin:0;color:#1d2329;background:#fafbfc}
header{background:#24394f;color:#fff;padding:.6rem 1.2rem}header a{color:#fff;text-decoration:none}
main{padding:1rem 1.2rem;max-width:72rem}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:1.6rem}
table{border-collapse:collapse}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
label{display:block;font-weight:600;margin-top:.9rem}
input[type=text],input[type=number],input[type=password],select,textarea{font:inherit;padding:.3rem;width:100%;max-width:40rem;box-sizing:border-box}
textarea{min-height:6rem}
button{font:inherit;margin-top:1rem;padding:.4rem 1rem;cursor:pointer}
form>button{display:block}
.error{color:#b42318;font-weight:600;margin:.2rem 0}
.notice{background:#eef4fb;border-left:4px solid #24394f;padding:.5rem .8rem}
.ok{background:#e7f6e7;border-left:4px solid #2f8132;padding:.5rem .8rem}
.warn{background:#fdf1e6;border-left:4px solid #c4320a;padding:.5rem .8rem}
pre{white-space:pre-wrap;word-break:break-word;margin:0}
.heat td.cell{text-align:center;min-width:4.5rem;padding:0}.heat td.cell a,.heat td.cell span{display:block;padding:.25rem;color:inherit;text-decoration:none}
.s-untracked{background:#f0f0f0;color:#777}.s-scheduled{background:#dfe8f1}.s-requested{background:#fff1a8}
.s-submitted{background:#b9e3b2}.s-late{background:#f8cf8f}.s-overdue{background:#f3a29d}.s-escalated{background:#c9302c;color:#fff}
.aspect th{background:#eef1f4}
.legend span{display:inline-block;padding:.15rem .5rem;margin:.15rem;border:1px solid #d0d7de}
`;

/** A whole page in the catalogue's language. */
export function page(c: Catalogue, title: string, body: Html, nav?: Html): Html {
  return html`<!doctype html>
<html lang="${c.lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${c.portal}</title>
<style>${new Html(STYLE) /* a constant of this file */}</style></head>
<body><header><strong>${c.portal}</strong>${nav ? html` · ${nav}` : ''}</header>
<main><h1>${title}</h1>
${body}
</main></body></html>
`;
}
