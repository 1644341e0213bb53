/** The run's state file: schema, atomic writes, cross-process lock, reads and endpoint discovery. */
export { removeAtomicWriteLeftovers, writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';
export { findEndpoint, getEndpoint, getEndpointSync, type GetEndpointOptions } from './get-endpoint.js';
export { parseStateText } from './parse-state.js';
export {
  STATE_VERSION,
  stateEntrySchema,
  stateFileSchema,
  stateKey,
  type StateEntry,
  type StateFile,
} from './schema.js';
export {
  createStateFile,
  listEntries,
  readState,
  readStateSync,
  type StateFileInit,
} from './state-file.js';
export { updateState, type StateMutation } from './update-state.js';
export { withStateLock, type HeldStateLock, type StateLockOptions } from './state-lock.js';
export { STATE_ENV, resolveStatePath } from './state-path.js';
export { detectWorkerSlot } from './worker-slot.js';
