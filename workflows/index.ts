/** The workflows a worker registers (its workflowsPath). */
export { planWorkflow } from './plan.js';
export { groupWorkflow } from './group.js';
export { findingsWorkflow } from './findings.js';
