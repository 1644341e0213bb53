// Renders the benchmark's results as markdown: the targets first, then one table per section.
import { fmt, markdownTable } from './stats.mjs';

const ms = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
const signed = (v, d = 1) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(d)}` : 'n/a');
const ratio = (v) => (Number.isFinite(v) ? `×${v.toFixed(2)}` : 'n/a');
const mark = (ok) => (ok ? 'met' : '**missed**');
const PORT_ALLOCATORS = { ours: 'ephemeral-servers allocatePort', 'get-port': 'get-port', floor: 'bare floor' };

/** Latency pair "p50 x / p95 y" of a summary, in ms. */
const p50p95 = (x, d = 2) => (x && x.n > 0 ? `p50 ${ms(x.median, d)} / p95 ${ms(x.p95, d)}` : 'n/a');
/** The verdict when the floor itself does not meet the target on this machine: the target cannot be shown here. */
const floorMisses = (ok) => `${mark(ok)}; the floor itself misses it here`;
/** A floor too spread to show a difference of `allowanceMs`: its own starts differ by more than 10× that. */
const noisy = (floor, allowanceMs) => floor.max - floor.min > 10 * allowanceMs;

/**
 * The issue's targets, evaluated on these results, each next to its bare floor measured in the same run:
 * [{ figure, target, floor, measured, ok, verdict? }].
 */
export function evaluateTargets(r) {
  const targets = [];
  const push = (figure, target, floor, measured, ok, verdict) =>
    targets.push({ figure, target, floor, measured, ok, verdict });

  const sf = r.stateFile;
  push(
    'State update, uncontended: one `record` request from one process, run already up',
    'p50 ≤ 0.5 ms, p95 ≤ 2 ms',
    p50p95(sf.single.floor),
    p50p95(sf.single.ours),
    sf.single.ours.median <= 0.5 && sf.single.ours.p95 <= 2,
    sf.single.floor.median <= 0.5 && sf.single.floor.p95 <= 2
      ? undefined
      : floorMisses(sf.single.ours.median <= 0.5 && sf.single.ours.p95 <= 2),
  );
  const contendedOk =
    sf.ours.throughputPerS >= 2000 &&
    sf.ours.latency.p95 <= 20 &&
    sf.lost + sf.regressions + sf.notVisible === 0 &&
    sf.torn === 0;
  push(
    `State updates, ${sf.writers} processes × ${sf.updatesEach} at once`,
    '≥ 2,000/s, p95 ≤ 20 ms, 0 lost, 0 torn',
    `${ms(sf.floor.throughputPerS, 0)}/s, p95 ${ms(sf.floor.latency.p95)} ms`,
    `${ms(sf.ours.throughputPerS, 0)}/s, p95 ${ms(sf.ours.latency.p95)} ms, ${sf.lost + sf.regressions + sf.notVisible} lost, ${sf.torn} torn`,
    contendedOk,
    sf.floor.throughputPerS >= 2000 && sf.floor.latency.p95 <= 20 ? undefined : floorMisses(contendedOk),
  );

  const bare = r.inProcess.rows.find((x) => x.id === 'bare');
  const joined = r.inProcess.rows.find((x) => x.id === 'ours');
  push(
    'In-process start+stop, joining a run',
    'median ≤ 1 ms, p95 ≤ 5 ms',
    p50p95(bare),
    p50p95(joined),
    joined.median <= 1 && joined.p95 <= 5,
    bare.median <= 1 && bare.p95 <= 5 ? undefined : floorMisses(joined.median <= 1 && joined.p95 <= 5),
  );
  const ip = r.scale.inProcess;
  push(
    `${ip.processes} processes × ${ip.serversEach} in-process servers, one run, all at once: start`,
    'p95 ≤ 20 ms',
    p50p95(ip.bare.start),
    p50p95(ip.ours.start),
    ip.ours.start.p95 <= 20,
    ip.bare.start.p95 <= 20 ? undefined : floorMisses(ip.ours.start.p95 <= 20),
  );

  for (const server of ['node:http', 'python3 -m http.server']) {
    const row = (id) => r.ready.rows.find((x) => x.server === server && x.id === id);
    const floor = row('floor');
    for (const probe of ['tcp', 'http', 'log']) {
      const x = row(`ours-${probe}`);
      const ok = x.overMs <= 3;
      push(
        `Readiness over the floor, ${server}, ${probe} probe`,
        '≤ +3 ms (median)',
        `${ms(floor.median)} ms (${ms(floor.min)}–${ms(floor.max)})`,
        `${ms(x.median)} ms, ${signed(x.overMs)}`,
        ok,
        noisy(floor, 3)
          ? `${mark(ok)}; not conclusive here (floor spread ${ms(floor.max - floor.min, 0)} ms)`
          : undefined,
      );
    }
  }

  const stopRow = (id) => r.stop.rows.find((x) => x.server === 'honours SIGTERM' && x.id === id);
  const stopFloor = stopRow('floor');
  const stop = stopRow('ours');
  push(
    'Stop of a SIGTERM-honouring server, all processes gone',
    '≤ floor + 3 ms (median)',
    `${ms(stopFloor.median)} ms`,
    `${ms(stop.median)} ms, ${signed(stop.overMs)}`,
    stop.overMs <= 3,
    noisy(stopFloor, 3)
      ? `${mark(stop.overMs <= 3)}; not conclusive here (floor spread ${ms(stopFloor.max - stopFloor.min, 0)} ms)`
      : undefined,
  );

  // Ports: section 5 (bench/sections/ports.mjs). Its floor is a `floor` row when it has one, else get-port.
  const portRows = r.ports?.rows ?? [];
  const preferred = (mode) => portRows.find((x) => x.mode === mode && String(x.range).startsWith('preferred'));
  const oursPorts = preferred('ours');
  const floorPorts = preferred('floor') ?? preferred('get-port');
  push(
    `Preferred-range port allocation, ${r.ports?.processes ?? '?'} processes at once`,
    'p95 ≤ 20 ms, 0 collisions',
    floorPorts
      ? `${floorPorts.mode === 'floor' ? '' : 'get-port: '}p95 ${ms(floorPorts.latency.p95)} ms, ${floorPorts.collisions} collisions`
      : 'n/a',
    oursPorts ? `p95 ${ms(oursPorts.latency.p95)} ms, ${oursPorts.collisions} collisions` : 'n/a',
    oursPorts !== undefined && oursPorts.latency.p95 <= 20 && oursPorts.collisions === 0,
  );
  const collisions = portRows.filter((x) => x.mode === 'ours').reduce((n, x) => n + x.collisions, 0);
  push('Port collisions for ours, any port and preferred range', '0', '', String(collisions), collisions === 0);

  push(
    `${r.scale.slots} slots × ${r.scale.servers} command servers (dependency chains), all at once`,
    '≤ 1.5 × the slowest chain of the same run',
    `slowest chain ${ms(r.scale.slowest.median, 0)} ms`,
    `wall ${ms(r.scale.wall.median, 0)} ms, ${ratio(r.scale.ratioToSlowestChain)}`,
    r.scale.ratioToSlowestChain <= 1.5,
  );
  const ourOrphans = r.orphans.rows.filter((x) => x.tool.startsWith('ours'));
  const stopLeft = r.stop.rows.filter((x) => x.id === 'ours').reduce((n, x) => n + x.left, 0);
  push(
    'Orphans for ours in every scenario',
    '0',
    '',
    `${ourOrphans.map((x) => `${x.tool}: ${x.left ?? x.error}`).join(', ')}; after stop(): ${stopLeft}`,
    ourOrphans.every((x) => x.left === 0) && stopLeft === 0,
  );
  return targets;
}

export function renderMarkdown(r) {
  const out = [];
  out.push(`# ephemeral-servers benchmark`, '');
  out.push(
    `${r.date}${r.quick ? ' (BENCH_QUICK: fewer rounds)' : ''} · ${r.machine.nproc} CPUs (${r.machine.cpu}), ${r.machine.memoryGiB} GiB · ` +
      `load average ${r.machine.loadAverageAtStart.join(' ')} at start, ${r.machine.loadAverageAtEnd.join(' ')} at end · ${r.totalSeconds} s`,
    '',
  );
  out.push(
    `Versions: ${Object.entries(r.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    '',
  );
  out.push('All times in milliseconds: median (min–max). Ratios are medians of the same run.', '');

  out.push('## Targets', '');
  out.push('Each figure next to its bare floor, measured in the same run (see bench/README.md, "Definitions").', '');
  out.push(
    markdownTable(
      ['Figure', 'Target', 'Bare floor (same run)', 'Measured', ''],
      evaluateTargets(r).map((t) => [t.figure, t.target, t.floor, t.measured, t.verdict ?? mark(t.ok)]),
    ),
    '',
  );

  out.push('## 1. Time to ready, one command server', '');
  const readyRows = r.ready.rows.map((x) => [
    x.server,
    x.label,
    String(x.n),
    fmt(x),
    x.id === 'floor' ? '' : signed(x.overMs),
    ratio(x.ratio),
  ]);
  out.push(markdownTable(['Server', 'Tool', 'n', 'Ready (ms)', 'Over floor', 'Ratio'], readyRows), '');
  const pw = r.ready.rows.find((x) => x.id === 'playwright-webserver')?.playwright;
  if (pw) {
    out.push(
      `Playwright Test: its webServer row is from Playwright's own \`DEBUG=pw:webserver\` log ("Starting WebServer process" → "WebServer available"). ` +
        `For context, a whole \`playwright test\` run (one test, no page) takes ${fmt(pw.withoutTotal)} without webServer ` +
        `and ${fmt(pw.withTotal)} with the node server as webServer; the test body starts ${fmt(pw.withoutReady)} / ${fmt(pw.withReady)} after the CLI is spawned.`,
      '',
    );
  }

  out.push('## 2. Time to stop', '');
  out.push(
    'From the stop call until every process of the server is gone (/proc); "left" counts processes still alive 1 s after the tool returned.',
    '',
  );
  out.push(
    markdownTable(
      ['Server', 'Tool', 'Stopped / runs', 'All gone (ms)', 'Over floor', 'Tool returned (ms)', 'Left'],
      r.stop.rows.map((x) => [
        x.server,
        x.label,
        `${x.stopped}/${x.runs}`,
        fmt(x),
        x.id === 'floor' ? '' : signed(x.overMs),
        fmt(x.returned),
        String(x.left),
      ]),
    ),
    '',
  );

  out.push('## 3. In-process server, start + stop per test (port 0)', '');
  out.push(
    markdownTable(
      ['Variant', 'n', 'Start+stop (ms)', 'Start', 'Stop', 'p95'],
      r.inProcess.rows.map((x) => [x.label, String(x.n), fmt(x, 2), fmt(x.start, 2), fmt(x.stop, 2), ms(x.p95, 2)]),
    ),
    '',
  );

  out.push('## 4a. Scale', '');
  const s = r.scale;
  out.push(
    markdownTable(
      ['Measure', 'ms'],
      [
        [`one slot alone: its chain of ${s.servers} (dependencies in order)`, fmt(s.single)],
        [`${s.slots} slots at once: wall time to all ready`, fmt(s.wall)],
        [`${s.slots} slots at once: slowest chain of that run`, fmt(s.slowest)],
        ['wall / slowest chain of the same run', ratio(s.ratioToSlowestChain)],
        ['wall / one slot alone', ratio(s.ratioToSingleChain)],
      ],
    ),
    '',
  );
  const ip = s.inProcess;
  out.push(
    `${ip.processes} worker processes × ${ip.serversEach} in-process servers each, in one run: every process starts its servers one after another, all processes at once (${ip.rounds} round(s)); the floor is the same processes doing bare \`listen(0)\`s.`,
    '',
  );
  out.push(
    markdownTable(
      ['Variant', 'n', 'Start (ms)', 'Start p95', 'Stop (ms)', 'Stop p95'],
      [
        ['bare floor: http.createServer().listen(0) / close()', ip.bare],
        ['ephemeral-servers startServers() / handle.stop(), joining the run', ip.ours],
      ].map(([label, x]) => [
        label,
        String(x.start.n),
        fmt(x.start, 2),
        ms(x.start.p95, 2),
        fmt(x.stop, 2),
        ms(x.stop.p95, 2),
      ]),
    ),
    '',
  );
  const sf = r.stateFile;
  out.push('## 4b. State file', '');
  out.push(
    "Each update is one `record` request to the run's supervisor, acknowledged once readers see it. The floor: one round trip of the same bytes on a bare Unix socket to a process that atomically replaces a file of the state file's size (write + rename) per line.",
    '',
  );
  out.push(
    markdownTable(
      ['Figure', 'Variant', 'Updates', 'Latency (ms)', 'p95', 'Throughput (/s)'],
      [
        ['one process, one update at a time', 'bare floor', sf.single.floor, ''],
        ['one process, one update at a time', 'ephemeral-servers', sf.single.ours, ''],
        [
          `${sf.writers} processes × ${sf.updatesEach}, at once`,
          'bare floor',
          sf.floor.latency,
          ms(sf.floor.throughputPerS, 0),
        ],
        [
          `${sf.writers} processes × ${sf.updatesEach}, at once`,
          'ephemeral-servers',
          sf.ours.latency,
          ms(sf.ours.throughputPerS, 0),
        ],
      ].map(([figure, variant, x, throughput]) => [figure, variant, String(x.n), fmt(x, 2), ms(x.p95, 2), throughput]),
    ),
    '',
  );
  out.push(
    `${sf.lost} acknowledged updates missing from the final file, ${sf.notVisible} writers that did not read their last update back, ` +
      `${sf.regressions} reads that saw an update undone; a concurrent reader made ${sf.reads} reads, ${sf.torn} torn. State file ${sf.stateBytes} bytes with ${sf.writers} entries.`,
    '',
  );

  out.push('## 5. Port allocation', '');
  out.push(
    `${r.ports.processes} processes at once, ${r.ports.count} ports each; each port is bound ${r.ports.bootMs} ms after allocation (a server's boot).`,
    '',
  );
  out.push(
    markdownTable(
      [
        'Allocator',
        'Ports',
        'Allocations',
        'Collisions (EADDRINUSE)',
        'Same port handed out twice',
        'Latency (ms)',
        'p95',
      ],
      r.ports.rows.map((x) => [
        x.label ?? PORT_ALLOCATORS[x.mode] ?? x.mode,
        x.range,
        String(x.allocations),
        String(x.collisions),
        String(x.duplicates),
        fmt(x.latency, 2),
        ms(x.latency.p95),
      ]),
    ),
    '',
  );

  out.push('## 6. Orphans: runner SIGKILLed while two servers run (one with a grandchild)', '');
  out.push(
    markdownTable(
      ['Tool', 'Processes left after 1 s', 'Which'],
      r.orphans.rows.map((x) => [
        x.label,
        x.error ? `error: ${x.error}` : String(x.left),
        (x.leftCommands ?? [])
          .map((c) => `\`${c.startsWith('/bin/sh') ? 'sh -c … ' : ''}${c.replace(/^.*\/(fixtures\/)/, '$1').trim()}\``)
          .join('<br>'),
      ]),
    ),
    '',
  );
  out.push(
    `Section times (s): ${Object.entries(r.sectionSeconds)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    '',
  );
  return `${out.join('\n')}\n`;
}
