/** Error types that cross the workflow boundary. */

/** The application failure type for a report that the workflow refused. */
export const REPORT_REJECTED = 'ReportRejected';
/** The application failure type for a plan that failed validation inside the workflow. */
export const INVALID_PLAN = 'InvalidPlan';
