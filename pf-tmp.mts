import { loadPlanFile } from './client/plan-file.js';
const r = await loadPlanFile('examples/demo-plan.yaml');
console.log(r.ok, r.ok ? JSON.stringify(r.plan.cadence) + JSON.stringify(r.plan.locale) : r.errors);
for (const f of process.argv.slice(2)) console.log(await loadPlanFile(f));
