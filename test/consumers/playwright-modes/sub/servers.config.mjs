// The run of the global setup (the worker fixture needs one): the contract's servers.
export { default } from '../../contract/servers.config.mjs';
