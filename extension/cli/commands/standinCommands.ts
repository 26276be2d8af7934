import path from 'node:path';
import { loadConfig } from '../../core/config/configFile';
import { isDevStore, parseBlobUrl, sasFor, uploadVolume, type BlobLocation } from '../../standin/storage/volumeUpload';
import { FastcacheDaemon } from '../../standin/fastcache/daemon';
import { FastcacheClient } from '../../standin/fastcache/fastcacheClient';
import { DAEMON_OPTIONS, daemonHelp, daemonOptionsFrom, defaultBlobUrl } from '../../standin/fastcache/daemonArgs';
import { DEMO_SPEC, dimsForSize, generateVolume, type VolumeSpec } from '../../standin/volume/generate';
import { blobEndpointAnswers, startAzurite, type RunningAzurite } from '../../standin/volume/localAzurite';
import { standinHome, standinPaths } from '../../standin/volume/standinPaths';
import { SECRET_ENV_VAR } from '../../shared/secrets';
import { EXIT, JSON_OPTION, type CliIo, type Command } from '../command';

const MiB = 1024 * 1024;

/** At most one progress line a second: generation and upload of a few hundred MiB take a while. */
function progressReporter(io: CliIo, what: string): (done: number, total: number) => void {
  const t0 = performance.now();
  let last = 0;
  return (done, total) => {
    const now = performance.now();
    if (now - last < 1000 && done < total) return;
    last = now;
    const rate = done / MiB / Math.max(0.001, (now - t0) / 1000);
    io.err(`${what}: ${Math.round((100 * done) / total)} % (${(done / MiB).toFixed(0)} of ${(total / MiB).toFixed(0)} MiB, ${rate.toFixed(0)} MiB/s)`);
  };
}

function parseSpec(values: Record<string, unknown>): VolumeSpec {
  const sampleFormat = (values.format as string | undefined) ?? DEMO_SPEC.sampleFormat;
  if (sampleFormat !== 'int8' && sampleFormat !== 'int16') throw new Error(`--format: expected int8 or int16, found ${JSON.stringify(sampleFormat)}`);
  const seedText = values.seed as string | undefined;
  const seed = seedText === undefined ? DEMO_SPEC.seed : Number(seedText);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`--seed: expected an integer from 0 to 4294967295, found ${JSON.stringify(seedText)}`);
  const brickSize = values.brick === undefined ? 64 : Number(values.brick);
  if (![16, 32, 64].includes(brickSize)) throw new Error(`--brick: expected 64 (or 32/16 for tests), found ${JSON.stringify(values.brick)}`);
  if (values.dims !== undefined && values.size !== undefined) throw new Error('give --dims or --size, not both');
  let dims: [number, number, number];
  if (values.dims !== undefined) {
    const m = /^(\d+)x(\d+)x(\d+)$/.exec(String(values.dims));
    const d = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [];
    if (!m || d.some((n) => n < 1 || n > 65536)) throw new Error(`--dims: expected INLINESxCROSSLINESxSAMPLES, e.g. 512x512x640, found ${JSON.stringify(values.dims)}`);
    dims = d as [number, number, number];
  } else if (values.size !== undefined) {
    const mib = Number(values.size);
    if (!Number.isFinite(mib) || mib < 1 || mib > 1024 * 1024) throw new Error(`--size: expected MiB from 1 to 1048576, found ${JSON.stringify(values.size)}`);
    dims = dimsForSize(mib, sampleFormat, brickSize);
  } else dims = sampleFormat === DEMO_SPEC.sampleFormat && brickSize === 64 ? DEMO_SPEC.dims : dimsForSize(320, sampleFormat, brickSize);
  return { dims, sampleFormat, brickSize, seed };
}

/** Where to upload: --blob, else the config's azure section, else the default local Azurite. */
async function uploadTarget(values: Record<string, unknown>, io: CliIo, volumeName: string): Promise<BlobLocation> {
  if (values.blob !== undefined) return parseBlobUrl(String(values.blob));
  if (values.config !== undefined) {
    const { config, file } = await loadConfig(path.resolve(io.cwd, String(values.config)));
    if (!config.azure) throw new Error(`${file}: no "azure" section: add accountUrl, container and blob, or pass --blob URL`);
    return config.azure;
  }
  const def = parseBlobUrl(defaultBlobUrl());
  return { ...def, blob: volumeName };
}

export const standinData: Command = {
  words: ['standin', 'data'],
  summary: 'Generate the synthetic test volume (.fbvol) and upload it as a block blob',
  usage:
    'fastbench standin data [--out FILE] [--size MIB | --dims IxJxK] [--format int8|int16] [--seed N] [--brick 64] [--blob URL | --config FILE] [--no-upload] [--force] [--json]',
  details: `The volume is laid out like ZGY (64³-sample bricks; see extension/standin/volume/volumeFormat.ts): dipping,
gently folded layers with a strong reflector every fifth layer (trackable as a horizon), two normal faults,
a Ricker wavelet and 8 % noise. The same seed gives the same bytes; a sha256 sidecar (FILE.sha256) names them.
Defaults: 256x1536x512 int16 (384 MiB, 768 bricks of 512 KiB), seed 1, written to
  ${standinPaths(standinHome()).volume}
(the stand-in's "NAS" folder; FASTBENCH_STANDIN_HOME moves it). An identical existing volume is reused
(--force writes it again).
Upload: to --blob URL, else the "azure" section of --config, else the local Azurite at
  ${defaultBlobUrl().replace(/\/[^/]+$/, '/<volume name>')}
If nothing answers there, Azurite is started for the upload (data kept in ${standinPaths(standinHome()).azuriteFolder},
so a later Azurite on that folder serves it) and stopped afterwards. A real account needs ${SECRET_ENV_VAR}
(a SAS with write and create permission); a blob with the same sha256 is not uploaded again.`,
  options: {
    ...JSON_OPTION,
    out: { type: 'string' },
    size: { type: 'string' },
    dims: { type: 'string' },
    format: { type: 'string' },
    seed: { type: 'string' },
    brick: { type: 'string' },
    blob: { type: 'string' },
    config: { type: 'string' },
    'no-upload': { type: 'boolean' },
    force: { type: 'boolean' },
  },
  positionals: { min: 0, max: 0 },
  run: async (args, io) => {
    let spec: VolumeSpec;
    try {
      spec = parseSpec(args.values);
    } catch (e) {
      io.err(`fastbench standin data: ${(e as Error).message}\nUsage: ${standinData.usage}`);
      return EXIT.badInput;
    }
    const paths = standinPaths(standinHome(io.env));
    const file = args.values.out ? path.resolve(io.cwd, String(args.values.out)) : paths.volume;
    const [i, j, k] = spec.dims;
    io.err(`volume ${file}: ${i}×${j}×${k} ${spec.sampleFormat}, bricks ${spec.brickSize}³, seed ${spec.seed}`);
    const gen = await generateVolume(file, spec, { force: args.values.force === true, signal: io.signal, onProgress: progressReporter(io, 'generating') });
    io.err(gen.created ? `generated ${(gen.bytes / MiB).toFixed(0)} MiB in ${gen.seconds.toFixed(1)} s` : 'an identical volume is already there: reused');

    let upload: { url: string; skipped: boolean; seconds: number; azuriteStarted: boolean } | undefined;
    if (!args.values['no-upload']) {
      const target = await uploadTarget(args.values, io, path.basename(file));
      let azurite: RunningAzurite | undefined;
      if (isDevStore(target.accountUrl) && !(await blobEndpointAnswers(target.accountUrl))) {
        const u = new URL(target.accountUrl);
        io.err(`no Azurite at ${u.host}: starting one (data in ${paths.azuriteFolder})`);
        azurite = await startAzurite(paths.azuriteFolder, Number(u.port), u.hostname);
      }
      try {
        const r = await uploadVolume({
          file,
          location: target,
          sas: sasFor(target, io.env[SECRET_ENV_VAR]),
          sha256: gen.sha256,
          force: args.values.force === true,
          signal: io.signal,
          onProgress: progressReporter(io, 'uploading'),
        });
        upload = { url: r.url, skipped: r.skipped, seconds: r.seconds, azuriteStarted: azurite !== undefined };
        io.err(r.skipped ? `${r.url}: the same volume is already there (sha256 matches): not uploaded again` : `uploaded to ${r.url} in ${r.seconds.toFixed(1)} s`);
      } finally {
        await azurite?.stop();
      }
    }
    const result = { file, header: gen.header, bytes: gen.bytes, sha256: gen.sha256, created: gen.created, upload: upload ?? null };
    if (args.values.json) io.out(JSON.stringify(result, null, 2));
    else {
      io.out(`volume  ${file}  (${(gen.bytes / MiB).toFixed(0)} MiB, sha256 ${gen.sha256.slice(0, 16)}…)`);
      if (upload) io.out(`blob    ${upload.url}`);
      io.out(`next    fastbench standin fastcache${upload ? ` --blob ${upload.url}` : ''}   (the FAST-like cache in front of it; starts Azurite if needed)`);
    }
    return EXIT.ok;
  },
};

export const standinFastcache: Command = {
  words: ['standin', 'fastcache'],
  summary: 'Run the FAST-like cache daemon in the foreground (Ctrl-C stops it), or suspend/resume/stats a running one',
  usage:
    'fastbench standin fastcache [--blob URL] [--cache-folder DIR] [--mount DIR] [--log FILE] [--endpoint EP] [--streams N] [--range-mib N] [--prefetch off|readahead|readahead:N]\n' +
    '       fastbench standin fastcache suspend|resume|stats [--endpoint EP] [--timeout-s N] [--json]',
  details: `Presents the volume blob as an ordinary read-only file, <mount>/<blob name>, on a FUSE mount (and starts
the local Azurite on the stand-in's folder when the blob is on a local Azurite that does not answer). Reads
of bricks in its cache file are served from it; on a miss it fetches the bricks from the blob with parallel
ranged GETs (adjacent bricks coalesced) and writes them into the cache file in the cache folder. One line
per application read goes to the log (format fastcache-v1, see extension/shared/fastcacheFormat.ts).

Control of a running daemon (what a config's service control calls around a Cold rotation; argv-style):
  suspend   finish GETs in flight, close the cache files, hold reads until resume (or --timeout-s, 120)
  resume    reopen the cache (empty if the folder was rotated) and let held reads go on
  stats     requests, hit/miss bricks, fetches, bricks present
Each prints one line (--json: one JSON object) and exits 0, or 1 with the reason.

${daemonHelp(standinHome(), false)}`,
  options: { ...Object.fromEntries(Object.entries(DAEMON_OPTIONS).filter(([k]) => k !== 'help' && k !== 'exit-with-stdin')), 'timeout-s': { type: 'string' }, ...JSON_OPTION },
  positionals: { min: 0, max: 1 },
  run: async (args, io) => {
    const action = args.positionals[0];
    if (action !== undefined) return controlFastcache(action, args.values, io);
    let parsed;
    try {
      parsed = await daemonOptionsFrom(args.values, io.cwd, io.env);
    } catch (e) {
      io.err(`fastbench standin fastcache: ${(e as Error).message}`);
      return EXIT.badInput;
    }
    // The stand-in "cloud": a local Azurite on the stand-in's folder, started here when none answers.
    const account = parseBlobUrl(parsed.options.blobUrl).accountUrl;
    let azurite: RunningAzurite | undefined;
    const u = new URL(account);
    if (isDevStore(account) && /^(127\.|localhost$)/.test(u.hostname) && !(await blobEndpointAnswers(account))) {
      const folder = standinPaths(standinHome(io.env)).azuriteFolder;
      io.err(`no Azurite at ${u.host}: starting one on ${folder}`);
      azurite = await startAzurite(folder, Number(u.port), u.hostname);
    }
    let daemon: FastcacheDaemon;
    try {
      daemon = await FastcacheDaemon.start({ ...parsed.options, log: { debug() {}, info: io.err, warn: io.err, error: io.err } });
    } catch (e) {
      await azurite?.stop();
      throw e;
    }
    io.out(`fastcache: ${daemon.file} (control at ${daemon.boundEndpoint})`);
    if (azurite) io.out(`  azurite     ${account} (started here; stops with fastcache)`);
    io.out(`  blob        ${parsed.options.blobUrl}`);
    io.out(`  cache file  ${daemon.cacheFile}`);
    io.out(`  log         ${parsed.options.logFile}`);
    io.out(`  prefetch    ${parsed.options.prefetch}`);
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) return resolve();
      io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await daemon.close();
    await azurite?.stop();
    io.out('fastcache stopped');
    return EXIT.ok;
  },
};

/** `standin fastcache suspend|resume|stats`: one request on the daemon's control channel. */
async function controlFastcache(action: string, values: Record<string, unknown>, io: CliIo): Promise<number> {
  const endpoint = (values.endpoint as string | undefined) ?? standinPaths(standinHome(io.env)).endpoint;
  const timeoutS = values['timeout-s'] === undefined ? 120 : Number(values['timeout-s']);
  if (!['suspend', 'resume', 'stats'].includes(action) || !Number.isFinite(timeoutS) || timeoutS <= 0) {
    io.err(
      `fastbench standin fastcache: ${!['suspend', 'resume', 'stats'].includes(action) ? `expected suspend, resume or stats, found ${JSON.stringify(action)}` : `--timeout-s: expected seconds > 0, found ${JSON.stringify(values['timeout-s'])}`}`,
    );
    return EXIT.badInput;
  }
  const client = await FastcacheClient.connect(endpoint);
  try {
    let result: Record<string, unknown>;
    if (action === 'suspend') {
      await client.call({ type: 'suspend', timeoutMs: Math.round(timeoutS * 1000) }, 'suspended');
      result = { action, ok: true, endpoint, detail: `fastcache at ${endpoint} suspended (cache files closed; reads held up to ${timeoutS} s)` };
    } else if (action === 'resume') {
      const r = await client.call({ type: 'resume' }, 'resumed');
      result = { action, ok: true, endpoint, cacheFile: r.cacheFile, detail: `fastcache at ${endpoint} resumed with ${r.cacheFile}` };
    } else {
      const stats = await client.stats();
      result = {
        action,
        ok: true,
        endpoint,
        stats,
        detail: `requests ${stats.requests}, hit bricks ${stats.hitBricks}, miss bricks ${stats.missBricks}, fetches ${stats.fetches}, present ${stats.presentBricks}/${stats.brickCount}${stats.suspended ? ', suspended' : ''}`,
      };
    }
    io.out(values.json ? JSON.stringify(result) : String(result.detail));
    return EXIT.ok;
  } finally {
    client.close();
  }
}
