// The fastcache daemon process (dist/fastcache.js): the stand-in's FAST service. Started by
// `fastbench standin up` (or by hand); see daemonArgs.ts for options and protocol.ts for the control
// channel. The same bundle runs the FUSE worker thread (fuseWorker.ts) when started as a worker.
import { isMainThread, workerData } from 'node:worker_threads';
import { redactSecrets } from '../../shared/secrets';
import { FastcacheDaemon } from './daemon';
import { daemonHelp, daemonOptionsFrom, parseDaemonArgv } from './daemonArgs';
import { runFuseWorker, type FuseWorkerData } from './fuseWorker';
import { standinHome } from '../volume/standinPaths';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseDaemonArgv(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`fastcache: ${(e as Error).message.split('\n')[0]}\n${daemonHelp(standinHome())}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`Usage: node fastcache.js [options]\n\nThe stand-in FAST-like cache daemon.\n\n${daemonHelp(standinHome())}\n`);
    return 0;
  }
  let args;
  try {
    args = await daemonOptionsFrom(parsed.values, process.cwd(), process.env);
  } catch (e) {
    process.stderr.write(`fastcache: ${redactSecrets((e as Error).message)}\n`);
    return 2;
  }
  const log = { debug() {}, info() {}, warn: (m: string) => process.stderr.write(m + '\n'), error: (m: string) => process.stderr.write(m + '\n') };
  // Our signal handlers go in before libfuse starts: it installs its own only where none is set, so
  // SIGTERM/SIGINT stay ours and end with an unmount below.
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  process.once('SIGTERM', () => stop());
  process.once('SIGINT', () => stop());
  const daemon = await FastcacheDaemon.start({ ...args.options, log });
  process.stdout.write(
    JSON.stringify({
      event: 'listening',
      endpoint: daemon.boundEndpoint,
      file: daemon.file,
      cacheFile: daemon.cacheFile,
      blob: args.options.blobUrl,
      prefetch: args.options.prefetch,
      pid: process.pid,
    }) + '\n',
  );
  await new Promise<void>((resolve) => {
    void stopped.then(resolve);
    if (args.exitWithStdin) {
      process.stdin.on('data', () => {});
      process.stdin.once('end', resolve);
      process.stdin.once('close', resolve);
    }
  });
  await daemon.close();
  return 0;
}

if (!isMainThread && (workerData as FuseWorkerData | undefined)?.kind === 'fastcache-fuse') runFuseWorker(workerData as FuseWorkerData);
else
  void main().then(
    (code) => process.exit(code),
    (e: Error) => {
      process.stderr.write(`fastcache: ${redactSecrets(e.message)}\n`);
      if (process.env.FASTBENCH_DEBUG) process.stderr.write(redactSecrets(e.stack ?? '') + '\n');
      process.exit(1);
    },
  );
