// Each project lists its own copy of the global setup (two paths, so Jest calls both, with each
// project's config): both hand Jest the very same function, the package's default export.
module.exports = require('ephemeral-servers/jest/global-setup');
