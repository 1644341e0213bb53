import { getEndpoint } from 'ephemeral-servers/jest';
import defineJestContract from '../../contract/jest-contract.cjs';

defineJestContract({ getEndpoint, file: import.meta.filename ?? new URL(import.meta.url).pathname });
