import { getServer, getServers } from 'ephemeral-servers/jest';
import defineJestContract from '../../contract/jest-contract.cjs';

defineJestContract({ getServer, getServers, file: import.meta.filename ?? new URL(import.meta.url).pathname });
