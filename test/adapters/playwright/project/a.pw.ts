import { defineWorkerTests } from './fixtures.js';

defineWorkerTests('a');
