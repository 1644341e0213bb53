// The Jest adapter and the core from a CommonJS module (dist/*.d.cts).
import jestApi = require('ephemeral-servers/jest');
import setupModule = require('ephemeral-servers/jest/global-setup');
import environmentModule = require('ephemeral-servers/jest/environment');
import core = require('ephemeral-servers');

const api: core.Endpoint = jestApi.getEndpoint('api');
const setup: setupModule.JestGlobalSetup = setupModule.createGlobalSetup({ configFile: 'servers.config.cts' });
const Environment: typeof environmentModule.EphemeralServersEnvironment = environmentModule.default;
const config = core.defineServers({ api: { app: () => (_req, res) => res.end(api.url), scope: 'worker' } });

export = { setup, Environment, config };
