// Reached only through the spec's relative `cwd: 'app'`: the contract's server (it counts its starts).
import '../../../contract/server.mjs';
