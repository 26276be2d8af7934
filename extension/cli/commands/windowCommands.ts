import { DriverClient, DriverRequestError } from '../../core/driver/driverClient';
import type { WindowInfo } from '../../shared/driverProtocol';
import { cliLogger } from '../cliLogger';
import { EXIT, JSON_OPTION, type CliIo, type Command } from '../command';

const rect = (r: WindowInfo['rect']) => `${r.width}x${r.height}+${r.x}+${r.y}`;

async function withDriver<T>(io: CliIo, fn: (driver: DriverClient) => Promise<T>): Promise<T> {
  const driver = await DriverClient.start({ log: cliLogger(io) });
  const abort = () => void driver.close();
  io.signal.addEventListener('abort', abort);
  try {
    return await fn(driver);
  } finally {
    io.signal.removeEventListener('abort', abort);
    await driver.close();
  }
}

export const windowsList: Command = {
  words: ['windows'],
  summary: 'List top-level windows (title, process, pid, rects, DPI scale)',
  usage: 'fastbench windows [--all] [--json]',
  details: 'Shows visible windows; --all includes hidden ones. Rects are WIDTHxHEIGHT+X+Y in screen pixels.',
  options: { ...JSON_OPTION, all: { type: 'boolean' } },
  positionals: { min: 0, max: 0 },
  run: (args, io) =>
    withDriver(io, async (driver) => {
      const windows = (await driver.request('windows/list', {})).filter((w) => args.values.all || w.visible);
      if (args.values.json) {
        io.out(JSON.stringify({ backend: driver.backend, windows }, null, 2));
        return EXIT.ok;
      }
      io.out(`${windows.length} window(s) (${driver.backend} backend)`);
      for (const w of windows) {
        io.out(`  ${w.handle.padEnd(10)} ${(w.processImage ?? '?').padEnd(16)} pid ${String(w.pid ?? '?').padEnd(7)} client ${rect(w.clientRect).padEnd(20)} "${w.title}"`);
      }
      return EXIT.ok;
    }),
};

export const attachWindow: Command = {
  words: ['attach'],
  summary: "Find an application's main window and print its handle, process, rects and DPI scale",
  usage: 'fastbench attach (--title REGEX | --process NAME) [--timeout SECONDS] [--json]',
  details: `Waits until a visible window matches (default 180 s), choosing the largest titled one.
--process matches the executable name (e.g. Petrel.exe); --title is a JavaScript regular expression.`,
  options: { ...JSON_OPTION, title: { type: 'string' }, process: { type: 'string' }, timeout: { type: 'string' } },
  positionals: { min: 0, max: 0 },
  run: async (args, io) => {
    const title = args.values.title as string | undefined;
    const processImage = args.values.process as string | undefined;
    if (title === undefined && processImage === undefined) {
      io.err('fastbench attach: give --title REGEX and/or --process NAME\nUsage: ' + attachWindow.usage);
      return EXIT.badInput;
    }
    const timeoutS = args.values.timeout === undefined ? 180 : Number(args.values.timeout);
    if (!Number.isFinite(timeoutS) || timeoutS < 0) {
      io.err(`fastbench attach: --timeout: expected seconds ≥ 0, found ${JSON.stringify(args.values.timeout)}`);
      return EXIT.badInput;
    }
    return withDriver(io, async (driver) => {
      try {
        const w = await driver.request('window/attach', { titlePattern: title, processImage, timeoutMs: Math.round(timeoutS * 1000) });
        if (args.values.json) io.out(JSON.stringify(w, null, 2));
        else {
          io.out(`window ${w.handle}: "${w.title}"`);
          io.out(`  process   ${w.processImage ?? '?'} (pid ${w.pid ?? '?'})`);
          io.out(`  rect      ${rect(w.rect)}`);
          io.out(`  client    ${rect(w.clientRect)}`);
          io.out(`  dpi scale ${w.dpiScale}`);
        }
        return EXIT.ok;
      } catch (e) {
        if (e instanceof DriverRequestError && (e.code === 'not_found' || e.code === 'bad_request')) {
          io.err(`fastbench attach: ${e.message}`);
          return e.code === 'bad_request' ? EXIT.badInput : EXIT.failed;
        }
        throw e;
      }
    });
  },
};
