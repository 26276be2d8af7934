import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../../extension/cli/main';
import { DEV_ACCOUNT, DEV_KEY, REPO_ROOT, containerSas, startAzurite, tamperedSas, type Azurite } from './azuriteHarness';

// Many workstations: run folders pushed to Blob storage (a real Azurite, a real SAS) and analysed straight from the
// container must give byte-identical CSVs to analysing the local folder; pushing again sends nothing; a blob lost in
// between is sent again; the SAS never appears in any output.

const RUNS = path.join(REPO_ROOT, 'test', 'fixtures', 'runs-analysis');
const CONTAINER = 'fastbench-runs';
let azurite: Azurite;
let sas: string;
let out: string;

const sdk = () => require('@azure/storage-blob') as typeof import('@azure/storage-blob');
const devContainer = () => new (sdk().BlobServiceClient)(azurite.accountUrl, new (sdk().StorageSharedKeyCredential)(DEV_ACCOUNT, DEV_KEY)).getContainerClient(CONTAINER);

before(async () => {
  azurite = await startAzurite();
  await devContainer().create();
  sas = containerSas(CONTAINER);
  out = mkdtempSync(path.join(tmpdir(), 'fb-push-'));
});

after(async () => {
  await azurite?.stop();
  if (out) rmSync(out, { recursive: true, force: true });
});

async function cli(args: string[], secret = sas) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCli(args, { out: (t) => stdout.push(t), err: (t) => stderr.push(t), cwd: out, env: { FASTBENCH_AZURE_SAS: secret }, signal: new AbortController().signal });
  const all = [...stdout, ...stderr].join('\n');
  const sig = new URLSearchParams(secret).get('sig')!;
  assert.ok(!all.includes(sig) && !all.includes(encodeURIComponent(sig)), 'the SAS signature never reaches output');
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

/** Files the push must send: everything inside folders that hold a run.json. */
function runFiles(dir: string): string[] {
  const names = readdirSync(dir);
  if (names.includes('run.json')) return names.map((n) => path.join(dir, n)).filter((p) => statSync(p).isFile());
  return names.flatMap((n) => (statSync(path.join(dir, n)).isDirectory() ? runFiles(path.join(dir, n)) : []));
}

test('push → analyze from Azurite gives the same CSVs as the local folder; push is idempotent and resumable', async () => {
  const url = `${azurite.accountUrl}/${CONTAINER}/team-a/pushed`;
  const expected = runFiles(RUNS);

  const first = await cli(['runs', 'push', RUNS, '--to', url, '--json']);
  assert.equal(first.code, 0, first.stderr);
  const summary = JSON.parse(first.stdout) as { runs: number; uploaded: number; unchanged: number };
  assert.equal(summary.uploaded, expected.length);
  assert.equal(summary.unchanged, 0);
  assert.match(first.stderr, /skipped .*no-run-json: run\.json is missing/);

  // Content-MD5 stored with each blob is the local file's.
  const blob = devContainer().getBlobClient('team-a/pushed/site-a/camp-1/cold-A-1/metrics.csv');
  const props = await blob.getProperties();
  const md5 = createHash('md5')
    .update(readFileSync(path.join(RUNS, 'site-a', 'camp-1', 'cold-A-1', 'metrics.csv')))
    .digest('base64');
  assert.equal(Buffer.from(props.contentMD5!).toString('base64'), md5);

  const again = await cli(['runs', 'push', RUNS, '--to', url, '--json']);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(JSON.parse(again.stdout), { ...JSON.parse(again.stdout), uploaded: 0, unchanged: expected.length });

  // An interrupted push leaves some blobs missing: the next push sends exactly those.
  await devContainer().getBlobClient('team-a/pushed/site-b/ws-test/camp-2/warm-B-3/markers.tsv').delete();
  const resumed = await cli(['runs', 'push', RUNS, '--to', url, '--json']);
  assert.equal(JSON.parse(resumed.stdout).uploaded, 1);

  const local = await cli(['analyze', RUNS, '--out', path.join(out, 'local')]);
  assert.equal(local.code, 0, local.stderr);
  const remote = await cli(['analyze', url, '--out', path.join(out, 'remote')]);
  assert.equal(remote.code, 0, remote.stderr);
  assert.match(remote.stderr, /reading pushed runs from http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/fastbench-runs\/team-a\/pushed/);
  for (const f of ['kpis.csv', 'comparison_kpis.csv']) {
    assert.equal(readFileSync(path.join(out, 'remote', f), 'utf8'), readFileSync(path.join(out, 'local', f), 'utf8'), f);
  }
  // The remote skip list names blob URLs, without the SAS.
  assert.match(remote.stderr, /skipped http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/fastbench-runs\/team-a\/pushed\/broken\/no-markers: markers\.tsv is missing/);
});

test('a refused SAS and a SAS in the URL are clear errors that never show the SAS', async () => {
  const url = `${azurite.accountUrl}/${CONTAINER}/team-a/pushed`;
  const bad = tamperedSas(sas);
  const refused = await cli(['analyze', url, '--out', path.join(out, 'refused')], bad);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /Azure refused access \(403[^)]*\) while listing .*: check that the SAS in FASTBENCH_AZURE_SAS/);
  const pushRefused = await cli(['runs', 'push', RUNS, '--to', url], bad);
  assert.equal(pushRefused.code, 1);
  assert.match(pushRefused.stderr, /Azure refused access \(403/);
  const inUrl = await cli(['runs', 'push', RUNS, '--to', `${url}?${sas}`]);
  assert.equal(inUrl.code, 2);
  assert.match(inUrl.stderr, /carries a SAS; give the URL without it and set the SAS in FASTBENCH_AZURE_SAS/);
  const noContainer = await cli(['runs', 'push', RUNS, '--to', `${azurite.accountUrl}/no-such-container/x`]);
  assert.equal(noContainer.code, 1);
  assert.match(noContainer.stderr, /no-such-container/);
});
