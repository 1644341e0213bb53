/** The run's state file: schema, atomic writes, lock-free reads and endpoint discovery. Only the supervisor writes it. */
export { writeFileAtomicSync } from './atomic-write.js';
export { findEndpoint, getEndpoint, type GetEndpointOptions } from './get-endpoint.js';
export { parseStateText } from './parse-state.js';
export {
  STATE_VERSION,
  stateEntrySchema,
  stateFileSchema,
  stateKey,
  type StateEntry,
  type StateFile,
} from './schema.js';
export { listEntries, readState, readStateSync } from './state-file.js';
export { STATE_ENV, resolveStatePath } from './state-path.js';
export { detectWorkerSlot } from './worker-slot.js';
