// The contract's servers with one difference (`shared` gets an extra env variable), for the run that
// checks that a runner whose config differs from the one `ephemeral-servers run` started refuses to
// join it (RunConfigMismatchError) rather than starting a second copy.
import contract from '../contract/servers.config.mjs';

export default { ...contract, shared: { ...contract.shared, env: { CONTRACT_VARIANT: 'mismatch' } } };
