/**
 * Ports: cross-process reservations, allocation (preferred range, then any free port), fixed-port
 * checks with the holding process, and recognising a server's "address in use" failure.
 */
export { isAddrInUseOutput } from './addr-in-use.js';
export {
  allocatePort,
  ALLOCATION_WINDOW_FIRST,
  type AllocatePortOptions,
  type AllocatedPort,
} from './allocate-port.js';
export { assertPortAvailable, probePort } from './check-port.js';
export { readEphemeralPortRange, type EphemeralPortRange } from './ephemeral-port-range.js';
export { findPortHolder } from './find-port-holder.js';
export { listListeningPorts } from './listening-ports.js';
export {
  defaultReservationDir,
  RESERVATION_DIR_ENV,
  reservePort,
  type PortReservation,
  type ReservePortOptions,
} from './port-reservation.js';
