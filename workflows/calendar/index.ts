/** Pure calendar logic shared by workflows, activities and clients. */
export * from './days.js';
export * from './zone.js';
export * from './workdays.js';
export * from './periods.js';
export * from './schedule.js';
