// Project p2's own path of the global teardown: Jest calls both teardowns, p1's (the package's) first.
module.exports = require('ephemeral-servers/jest/global-teardown');
