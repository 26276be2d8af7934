import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { inflateSync } from 'node:zlib';
import { startCpuMeter } from '../../extension/core/probe/cpuMeter';
import { runCli } from '../../extension/cli/main';
import { baselineSchema } from '../../extension/shared/baseline';
import { chartLayout, type LineChartSpec } from '../../extension/core/charts/lineChart';
import { crc32 } from '../../extension/core/charts/png';
import { rttSeries, throughputSeries } from '../../extension/core/probe/baselineOutputs';
import { diskBackedTempDir } from '../diskDir';
import { REPO_ROOT, containerSas, putBlob, startAzurite, tamperedSas, tcpListener, freePort, type Azurite } from './azuriteHarness';

const CONTAINER = 'volumes';
const BLOB = 'seismic/vol-64m.bin';
let azurite: Azurite;
let nas: { port: number; close: () => Promise<void> };
let sas: string;
let dir: string;
/** The NAS folder's filesystem: O_DIRECT works on a disk, not on tmpfs (then the probe must say the cache was not bypassed). */
let nasDisk: ReturnType<typeof diskBackedTempDir>;

before(async () => {
  azurite = await startAzurite();
  nas = await tcpListener();
  await putBlob(azurite.accountUrl, CONTAINER, BLOB, 64 << 20);
  sas = containerSas(CONTAINER);
  nasDisk = diskBackedTempDir('fb-probe-');
  dir = nasDisk.dir;
  const data = Buffer.alloc(64 << 20);
  for (let i = 0; i < data.length; i += 4096) data[i] = i & 0xff;
  writeFileSync(path.join(dir, 'vol.zgy'), data);
});

after(async () => {
  await nas?.close();
  await azurite?.stop();
});

function writeConfig(name: string, over: { azure?: object; nas?: object; azureProbe?: object } = {}): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({
      version: 1,
      target: { executable: '/bin/true', window: { titlePattern: 'x' } },
      modes: { A_shared: { dataPath: path.join(dir, 'vol.zgy') } },
      campaign: { modes: ['A_shared'] },
      azure: { accountUrl: azurite.accountUrl, container: CONTAINER, blob: BLOB, ...over.azure },
      probe: {
        tries: 12,
        nas: { host: '127.0.0.1', port: nas.port, testFile: 'vol.zgy', streams: 4, writeTest: true, ...over.nas },
        azure: { streams: [1, 2, 4], rangeMiB: 4, uploadTest: true, ...over.azureProbe },
      },
    }),
  );
  return file;
}

async function cli(args: string[], env: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t), cwd: dir, env, signal: new AbortController().signal });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const sig = () => new URLSearchParams(sas).get('sig')!;

function assertNoSecret(texts: string[]) {
  for (const t of texts) {
    assert.ok(!t.includes(sig()) && !t.includes(encodeURIComponent(sig())), 'the SAS signature never appears in output');
  }
}

test(`the real CLI probes machine, a local folder as the NAS and Azurite, and writes every output (O_DIRECT expected unless only tmpfs is available; charts checked pixel by pixel)`, async () => {
  const config = writeConfig('ok.json');
  const out = path.join(dir, 'out-ok');
  const bin = path.join(REPO_ROOT, 'dist', process.env.FASTBENCH_CLI ?? 'cli.js');
  const r = spawnSync(process.execPath, [bin, 'probe', '--config', config, '--out', out, '--step-seconds', '1'], {
    encoding: 'utf8',
    env: { ...process.env, FASTBENCH_AZURE_SAS: sas },
    timeout: 180_000,
  });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.deepEqual(readdirSync(out).sort(), ['baseline.html', 'baseline.json', 'baseline_summary.txt', 'rtt_distribution.png', 'throughput_vs_streams.png']);
  const b = baselineSchema.parse(JSON.parse(readFileSync(path.join(out, 'baseline.json'), 'utf8')));
  assert.deepEqual(b.problems, []);
  assert.ok(!('error' in b.machine) && b.machine.cpu.cores > 0 && b.machine.memory.totalBytes > 0);
  assert.ok(b.nas && !('error' in b.nas));
  assert.ok(!('error' in b.nas.tcpConnectRtt) && b.nas.tcpConnectRtt.n === 12 && b.nas.tcpConnectRtt.p50 > 0);
  if (nasDisk.memoryBacked) {
    // Only tmpfs here: O_DIRECT is refused, and the probe must say the OS cache was not bypassed.
    assert.ok(b.nas.read && !b.nas.read.unbuffered, `${nasDisk.fsType} refuses O_DIRECT`);
  } else {
    assert.ok(b.nas.read && b.nas.read.unbuffered, `${nasDisk.fsType} (${dir}) accepts O_DIRECT: the OS cache was bypassed`);
    assert.match(b.nas.read.cacheAvoidance, /unbuffered/);
  }
  const one = b.nas.read.oneStream;
  const multi = b.nas.read.multiStream;
  assert.ok(!('error' in one) && !('error' in multi));
  assert.equal(one.streams, 1);
  assert.equal(multi.streams, 4);
  assert.ok(one.bytes > 0 && one.MBps > 0 && multi.MBps > 0);
  assert.ok(b.nas.write && !('error' in b.nas.write) && b.nas.write.MBps > 0);
  assert.ok(b.azure && !('error' in b.azure));
  assert.equal(b.azure.blobBytes, 64 << 20);
  assert.equal(b.azure.sasSource, 'FASTBENCH_AZURE_SAS');
  assert.ok(!('error' in b.azure.requestRtt) && b.azure.requestRtt.n === 12);
  assert.ok(!('error' in b.azure.ttfb) && b.azure.ttfb.rangeBytes === 4 << 20);
  assert.deepEqual(
    b.azure.sweep.map((s) => ('error' in s ? s.error : s.streams)),
    [1, 2, 4],
  );
  for (const s of b.azure.sweep) assert.ok(!('error' in s) && s.MBps > 0 && s.bytes >= 4 << 20 && s.cpu.procCpuPct > 0);
  assert.ok(b.azure.best && b.azure.best.MBps === Math.max(...b.azure.sweep.map((s) => ('error' in s ? 0 : s.MBps))));
  assert.ok(b.azure.upload && !('error' in b.azure.upload) && b.azure.upload.bytes === 64 << 20);
  assert.ok(b.notes.some((n) => /emulator/.test(n)));

  const summary = readFileSync(path.join(out, 'baseline_summary.txt'), 'utf8');
  assert.match(summary, /^NAS {6}127\.0\.0\.1:\d+ {2}TCP connect RTT p50 [\d.]+ \/ p95 [\d.]+ \/ p99 [\d.]+ ms \(n=12\)$/m);
  assert.match(summary, /BEST [\d.]+ MB\/s with \d streams/);
  assert.match(summary, nasDisk.memoryBacked ? /OS cache NOT bypassed/ : /OS cache bypassed \(unbuffered reads\)/);
  assert.ok(summary.split('\n').length < 40, 'readable in 30 seconds');
  // Client-bound steps say so on the same line as their figure.
  for (const s of b.azure.sweep) if (!('error' in s) && s.cpu.clientBound) assert.match(summary, new RegExp(`^ +${s.streams}: ${s.MBps.toFixed(1)} MB/s .*CLIENT-BOUND`, 'm'));

  const tp = throughputSeries(b);
  const specs: Record<string, LineChartSpec> = {
    'throughput_vs_streams.png': { title: '', xLabel: '', yLabel: '', series: tp.series, xLog2Ticks: tp.ticks },
    'rtt_distribution.png': { title: '', xLabel: '', yLabel: '', series: rttSeries(b) },
  };
  for (const [png, spec] of Object.entries(specs)) {
    const buf = readFileSync(path.join(out, png));
    assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const w = buf.readUInt32BE(16);
    const h = buf.readUInt32BE(20);
    let pos = 8;
    const idat: Buffer[] = [];
    while (pos < buf.length) {
      const len = buf.readUInt32BE(pos);
      const type = buf.toString('ascii', pos + 4, pos + 8);
      assert.equal(buf.readUInt32BE(pos + 8 + len), crc32(buf.subarray(pos + 4, pos + 8 + len)), `${png} ${type} CRC`);
      if (type === 'IDAT') idat.push(buf.subarray(pos + 8, pos + 8 + len));
      pos += 12 + len;
    }
    const pixels = inflateSync(Buffer.concat(idat));
    assert.equal(pixels.length, (w * 3 + 1) * h);
    const layout = chartLayout(spec);
    assert.deepEqual([w, h], [layout.W, layout.H], `${png} size`);
    const rgbAt = (x: number, y: number) => {
      const o = y * (w * 3 + 1) + 1 + x * 3; // filter byte, then RGB
      return [pixels[o], pixels[o + 1], pixels[o + 2]];
    };
    /** The series colour within 2 px of (x, y): where its marker or line passes. */
    const colourNear = (x: number, y: number, rgb: readonly number[]) => {
      for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) if (rgbAt(Math.round(x) + dx, Math.round(y) + dy).every((v, i) => v === rgb[i])) return true;
      return false;
    };
    assert.ok(spec.series.length > 0, `${png}: series to draw`);
    assert.ok(colourNear(layout.left + 8, 38, spec.series[0]!.color), `${png}: the first legend swatch`);
    // Series are drawn in order, so where two pass through the same pixels the later one shows.
    spec.series.forEach((s, k) => {
      const visible = [s, ...spec.series.slice(k + 1)].map((t) => t.color);
      let own = 0;
      for (const p of s.points) {
        const [x, y] = [layout.px(p.x), layout.py(p.y)];
        assert.ok(
          visible.some((c) => colourNear(x, y, c)),
          `${png}: ${s.name} drawn at (${p.x}, ${p.y}) → pixel (${x.toFixed(0)}, ${y.toFixed(0)}): ${rgbAt(Math.round(x), Math.round(y)).join(',')}`,
        );
        if (colourNear(x, y, s.color)) own++;
      }
      assert.ok(own > 0, `${png}: ${s.name}'s own colour appears at its data`);
    });
  }
  const html = readFileSync(path.join(out, 'baseline.html'), 'utf8');
  assert.match(html, /new Chart\(/);
  assert.doesNotMatch(html, /<script[^>]+src=/, 'self-contained: no external scripts');
  assert.match(html, /BEST/);
  assertNoSecret([r.stdout, r.stderr, ...readdirSync(out).map((f) => readFileSync(path.join(out, f), 'latin1'))]);
});

test('a bad SAS is a clear error naming the cause, never the SAS', async () => {
  const config = writeConfig('badsas.json', { nas: { testFile: undefined, writeTest: false } });
  const r = await cli(['probe', '--config', config, '--out', path.join(dir, 'out-bad'), '--step-seconds', '0.3'], { FASTBENCH_AZURE_SAS: tamperedSas(sas) });
  assert.equal(r.code, 1);
  assert.match(
    r.out,
    /AZURE {4}FAILED: Azure refused the SAS \(403 (AuthenticationFailed|AuthorizationFailure)\) for http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/volumes\/seismic\/vol-64m\.bin: check that it has not expired/,
  );
  const json = readFileSync(path.join(dir, 'out-bad', 'baseline.json'), 'utf8');
  assert.match(json, /"azure: Azure refused the SAS/);
  const tampered = new URLSearchParams(tamperedSas(sas)).get('sig')!;
  for (const t of [r.out, r.err, json]) assert.ok(!t.includes(tampered) && !t.includes(encodeURIComponent(tampered)));
});

test('a missing blob, a missing container and a missing test file are named', async () => {
  const env = { FASTBENCH_AZURE_SAS: sas };
  let r = await cli(
    [
      'probe',
      '--config',
      writeConfig('noblob.json', { azure: { blob: 'nope.bin' }, nas: { testFile: 'nope.zgy', writeTest: false } }),
      '--out',
      path.join(dir, 'o1'),
      '--step-seconds',
      '0.3',
    ],
    env,
  );
  assert.equal(r.code, 1);
  assert.match(r.out, /AZURE {4}FAILED: blob "nope\.bin" not found in container "volumes" at http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1 \(404 BlobNotFound\)/);
  assert.match(r.out, /1 stream: {2}FAILED: probe\.nas\.testFile .*nope\.zgy: expected a readable file, found no such file/);
  r = await cli(
    [
      'probe',
      '--config',
      writeConfig('nocont.json', { azure: { container: 'nocontainer' }, nas: { testFile: undefined } }),
      '--out',
      path.join(dir, 'o2'),
      '--step-seconds',
      '0.3',
    ],
    env,
  );
  assert.equal(r.code, 1);
  // A container SAS for another container is refused before the container is even looked up.
  assert.match(r.out, /AZURE {4}FAILED: (container "nocontainer" not found|Azure refused the SAS \(403)/);
});

test('an unreachable NAS host and blob endpoint are clear errors', async () => {
  const closed = await freePort();
  const config = writeConfig('unreach.json', { azure: { accountUrl: `http://127.0.0.1:${closed}/devstoreaccount1` }, nas: { port: closed, testFile: undefined } });
  const r = await cli(['probe', '--config', config, '--out', path.join(dir, 'o3'), '--step-seconds', '0.3'], { FASTBENCH_AZURE_SAS: sas });
  assert.equal(r.code, 1);
  assert.match(r.out, new RegExp(`NAS {6}127\\.0\\.0\\.1:${closed} {2}TCP connect RTT FAILED: 127\\.0\\.0\\.1:${closed} refused the connection`));
  assert.match(r.out, new RegExp(`AZURE {4}FAILED: cannot reach the blob endpoint: 127\\.0\\.0\\.1:${closed} refused the connection`));
  const bad = writeConfig('badhost.json', { azure: { accountUrl: 'http://no-such-host.invalid/devstoreaccount1' }, nas: { host: 'no-such-host.invalid', testFile: undefined } });
  const r2 = await cli(['probe', '--config', bad, '--out', path.join(dir, 'o4'), '--step-seconds', '0.3'], {});
  assert.equal(r2.code, 1);
  assert.match(r2.out, /TCP connect RTT FAILED: host name "no-such-host\.invalid" could not be resolved/);
  assert.doesNotMatch(r2.out + r2.err, /\n\s+at /, 'no stack trace');
});

test('bad probe arguments and configs are bad input (exit 2)', async () => {
  let r = await cli(['probe', '--config', path.join(dir, 'missing.json')], {});
  assert.equal(r.code, 2);
  assert.match(r.err, /missing\.json: expected a readable file, found no such file/);
  r = await cli(['probe', '--config', writeConfig('x.json'), '--step-seconds', 'zero'], {});
  assert.equal(r.code, 2);
  assert.match(r.err, /--step-seconds: expected seconds > 0/);
});

test('the CPU meter calls a saturated JavaScript thread client-bound, and an idle one not', async () => {
  let m = startCpuMeter();
  const end = Date.now() + 400;
  while (Date.now() < end);
  const busy = m();
  // procCpuPct is not asserted: on a loaded machine a busy loop may get well under a core of CPU time.
  assert.ok(busy.clientBound && busy.eventLoopPct >= 90 && busy.procCpuPct > 0, JSON.stringify(busy));
  assert.match(busy.why!, /JavaScript thread was busy/);
  m = startCpuMeter();
  await new Promise((r) => setTimeout(r, 400));
  const idle = m();
  assert.ok(!idle.clientBound && idle.eventLoopPct < 50, JSON.stringify(idle));
});
