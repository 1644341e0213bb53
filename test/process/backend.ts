/**
 * The platform backend the tests run against (`EPHEMERAL_SERVERS_PROCFS=0` selects posix; CI runs the
 * process, ports, teardown and lifecycle suites once with each), and start-time tokens to fake
 * identities with.
 */
import { platformBackend } from '../../src/platform/select-backend.js';

/** `procfs` or `posix`: the backend of this test process (and of the processes it starts with its env). */
export const backendKind = platformBackend().kind;

/** A start time of this backend's kind that no live process has: a pid whose recorded process is gone and was reused. */
export function reusedStartTime(): string {
  return backendKind === 'posix' ? 'ps:1' : '1';
}

/** A start time of the other backend's kind: comparable with nothing this backend reads. */
export function otherBackendStartTime(): string {
  return backendKind === 'posix' ? '1' : 'ps:1';
}
