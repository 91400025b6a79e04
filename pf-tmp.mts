import { readdirSync } from 'node:fs';
import { loadPlanFile } from './client/plan-file.js';
const dir = 'test/fixtures/bad-plans';
for (const f of readdirSync(dir).sort()) {
  const r = await loadPlanFile(`${dir}/${f}`);
  console.log(`## ${f}`);
  if (r.ok) console.log('   !!! OK'); else for (const e of r.errors) console.log('   ' + e.slice(dir.length + 1));
}
