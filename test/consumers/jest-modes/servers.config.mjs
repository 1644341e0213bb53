export { default } from '../contract/servers.config.mjs';
