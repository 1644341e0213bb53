// The failure scenario, written once for every runner (see README.md, "The failure scenario"). Each
// step is what one test of the runner's test file does, in this order; `fetchJson` takes a URL.
//   1. passes:       steady prints `steady-line-of-test-1`                      (shows nothing)
//   2. victim dies:  victim prints `victim-line-of-test-2`, is SIGKILLed, then fetched again (fails: ECONNREFUSED)
//   3. live fails:   steady prints `steady-line-of-test-3`, then the test fails on an assertion
//   4. passes:       steady prints `steady-line-of-test-4`                      (shows nothing)
// The harness checks the output: ServerDeadError naming victim, SIGKILL and victim-line-of-test-2;
// steady-line-of-test-3 once (test 3's output); never steady-line-of-test-1 nor steady-line-of-test-4.

async function get(url) {
  const response = await fetch(url);
  return response.json();
}

const say = (endpoint, text) => get(`${endpoint.url}/say?text=${encodeURIComponent(text)}`);

module.exports = {
  async passing(steady, n) {
    await say(steady, `steady-line-of-test-${n}`);
  },
  async victimDies(victim) {
    await say(victim, 'victim-line-of-test-2');
    const { pid } = await get(`${victim.url}/pid`);
    process.kill(pid, 'SIGKILL');
    // The connection is refused now: the test fails with ECONNREFUSED, naming no server.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await get(`${victim.url}/after-death`);
  },
  async liveFails(steady) {
    await say(steady, 'steady-line-of-test-3');
    throw new Error('deliberate failure with a live server');
  },
};
