import { defineVitestContract } from '../contract.mjs';

defineVitestContract(import.meta.url);
