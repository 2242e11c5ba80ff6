export * from './durable-storage.js';
export * from './errors.js';
export { createMemoryStorage } from './memory.js';
export { ViewStorage, type AppliedUpdate, type ViewState } from './view-storage.js';
export { crc32c } from './crc32c.js';
export { planUpdate, checkCompact, type UpdatePlan } from './update-plan.js';
