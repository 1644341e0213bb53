/** Servers config: declaring it, validating it into a plan, and its `{port}`-style placeholders. */
export { defineServers } from './define-servers.js';
export { validateConfig } from './validate-config.js';
export {
  expandPlaceholders,
  findPlaceholders,
  PLACEHOLDER_FIELDS,
  type Placeholder,
  type PlaceholderTarget,
  type PlaceholderValues,
} from './placeholders.js';
export {
  DEFAULTS,
  type NormalizedCommandSpec,
  type NormalizedInProcessSpec,
  type NormalizedProbe,
  type NormalizedSpec,
  type PortRequest,
  type ServerPlan,
} from './normalized.js';
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
} from './types.js';
