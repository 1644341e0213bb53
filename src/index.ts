/**
 * ephemeral-servers: real servers for integration and end-to-end tests.
 * The public core API; adapters (`ephemeral-servers/vitest`, `/jest`, `/playwright`, `/supertest`)
 * are separate subpath exports built only on what is exported here.
 */
export { defineServers } from './config/define-servers.js';
export type {
  AppLike,
  BaseServerSpec,
  CommandServerSpec,
  CustomReadiness,
  HttpReadiness,
  InProcessServerSpec,
  LogReadiness,
  ProbeContext,
  ReadinessProbeSpec,
  ReadinessSpec,
  Scope,
  ServerSpec,
  ServersConfig,
  TcpReadiness,
} from './config/types.js';
export { validateConfig } from './config/validate-config.js';
export { Wait } from './readiness/wait.js';
export type { ServerPlan, NormalizedSpec } from './config/normalized.js';
export type { Endpoint, Protocol } from './endpoint.js';
export { startServers, type ServersHandle, type StartServersOptions } from './lifecycle/start-servers.js';
export { stopRecordedServers, type Run } from './run/owned-run.js';
export type { StopAllResult } from './run/protocol.js';
export { RUN_DIR_PREFIX, type RunPaths } from './run/run-dir.js';
export { getEndpoint, getEndpointSync, readState, readStateSync, detectWorkerSlot, STATE_ENV } from './state/index.js';
export { stateKey, STATE_VERSION, type StateEntry, type StateFile } from './state/schema.js';
export {
  CommandNotFoundError,
  ConfigError,
  EphemeralServersError,
  PortExhaustedError,
  PortInUseError,
  PortPermissionError,
  PortReservationError,
  ProcessTableError,
  ReadinessTimeoutError,
  ServerDeadError,
  ServerExitedError,
  SetupStepError,
  ServerNotFoundError,
  ServerStartError,
  StateFileError,
  StateChangeError,
  SupervisorUnreachableError,
  ServerDaemonizedError,
  RunDirectoryError,
  PlatformUnsupportedError,
  RunConfigMismatchError,
  StopError,
  UnverifiedProcessError,
  type ConfigIssue,
  type RunConfigDifference,
  type ErrorCode,
  type ExitStatus,
  type PortHolder,
  type StateFileProblem,
} from './errors.js';
export { startRun, JOIN_ENV, type RunOwner, type StartRunOptions } from './lifecycle/start-run.js';
export { loadServersConfig, findConfigFile, CONFIG_FILE_NAMES, type LoadedConfig } from './config/load-config.js';
export { sweepStaleRuns, type SweepStaleRunsOptions, type SweepStaleRunsResult } from './run/sweep-stale-runs.js';
export { expandPlaceholders, type PlaceholderTarget, type PlaceholderValues } from './config/placeholders.js';
