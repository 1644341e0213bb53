import { defineWorkerTests } from './fixtures.js';

defineWorkerTests('b');
