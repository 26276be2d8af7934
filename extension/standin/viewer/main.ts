import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { validateJsonText } from '../../shared/validateJson';
import { formatProblem } from '../../shared/problems';
import type { BrickRead, BrickSource } from '../volume/brickSource';
import { FileBrickSource } from '../volume/fileSource';
import { READ_LOG_HEADER, viewerProjectSchema, type ViewerProject } from './projectFile';
import { ViewerApp, type ViewerWindow } from './viewerApp';
import type { WindowInput } from './x11Window';

// The stand-in viewer: a desktop program with its own window, launched and driven by the harness exactly
// as Petrel would be. `node dist/standin-viewer.js --project demo_A_shared.fbproj.json`

const USAGE = 'usage: standin-viewer --project FILE.fbproj.json';

function fail(message: string, code: number): never {
  process.stderr.write(`standin-viewer: ${message}\n`);
  process.exit(code);
}

async function readProject(file: string): Promise<ViewerProject> {
  const { readFile } = await import('node:fs/promises');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    return fail(`${file}: cannot read the project (${(e as NodeJS.ErrnoException).code})`, 2);
  }
  const result = validateJsonText(file, text, viewerProjectSchema);
  if (!result.ok) return fail(result.problems.map(formatProblem).join('\n'), 2);
  return result.value;
}

function readLogger(file: string | undefined): ((r: BrickRead) => void) | undefined {
  if (!file) return undefined;
  if (!existsSync(file)) writeFileSync(file, READ_LOG_HEADER + '\n');
  // One synchronous append per read so the log is complete even if the viewer is killed.
  return (r) => appendFileSync(file, `${Date.now()}\t${r.brick}\t${r.bytes}\t${r.source}\t${Math.round(r.micros)}\t${r.hit === undefined ? '' : r.hit ? 'hit' : 'miss'}\n`);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({ options: { project: { type: 'string' }, help: { type: 'boolean' } }, strict: true }));
  } catch (e) {
    return fail(`${(e as Error).message.split('.')[0]}\n${USAGE}`, 2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\nPageDown/PageUp step inlines, A attribute, click then H horizon, E export.\n`);
    return;
  }
  if (!values.project) return fail(USAGE, 2);
  const projectFile = path.resolve(values.project);
  const project = await readProject(projectFile);
  const rel = (p: string | undefined) => (p === undefined ? undefined : path.resolve(path.dirname(projectFile), p));
  const onRead = readLogger(rel(project.readLog));
  let source: BrickSource & { header: import('../volume/volumeFormat').VolumeHeader };
  try {
    // A path in every mode (the NAS mount or FAST's mount): the viewer never knows what serves it.
    source = await FileBrickSource.open(rel(project.volume)!, onRead ? { onRead } : {});
  } catch (e) {
    return fail((e as Error).message, 1);
  }
  const app = new ViewerApp(source, source.header, {
    name: project.name,
    mode: project.mode,
    exportFolder: rel(project.exportFolder)!,
    ...(project.stepLog ? { stepLog: rel(project.stepLog)! } : {}),
    startInline: project.startInline,
    horizonInlines: project.horizonInlines,
  });
  let window: ViewerWindow;
  const shutdown = async (code: number) => {
    window?.close();
    await source.close().catch(() => undefined);
    process.exit(code);
  };
  try {
    // Each platform's window loads only its own native libraries (user32/gdi32 or libX11).
    const Window = process.platform === 'win32' ? (await import('./win32Window')).Win32Window : (await import('./x11Window')).X11Window;
    const onInput = (input: WindowInput) => (input.kind === 'close' ? void shutdown(0) : app.handle(input));
    window = new Window(app.title, project.window.width, project.window.height, onInput, () => app.redraw());
  } catch (e) {
    await source.close();
    return fail((e as Error).message, 1);
  }
  app.attach(window);
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGINT', () => void shutdown(0));
  // Like any desktop app, the viewer outlives a closed stdin; it ends on its window closing or a signal.
  await app.open().catch((e: Error) => {
    process.stderr.write(`standin-viewer: cannot open ${project.name}: ${e.message}\n`);
    void shutdown(1);
  });
}

void main();
