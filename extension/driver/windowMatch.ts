import type { WindowInfo } from '../shared/driverProtocol';

export type WindowMatch = { processImage?: string | undefined; titlePattern?: string | undefined };

const baseName = (p: string) => p.split(/[\\/]/).pop()!.toLowerCase();

/** Compiles a match, rejecting a bad regular expression with a message instead of a throw deep inside. */
export function compileMatch(match: WindowMatch): (w: WindowInfo) => boolean {
  if (match.processImage === undefined && match.titlePattern === undefined) {
    throw new Error('a window match needs a process image name and/or a title pattern');
  }
  let title: RegExp | undefined;
  if (match.titlePattern !== undefined) {
    try {
      title = new RegExp(match.titlePattern);
    } catch (e) {
      throw new Error(`title pattern ${JSON.stringify(match.titlePattern)} is not a valid regular expression: ${(e as Error).message}`);
    }
  }
  const image = match.processImage === undefined ? undefined : baseName(match.processImage);
  return (w) => (image === undefined || (w.processImage !== null && baseName(w.processImage) === image)) && (title === undefined || title.test(w.title));
}

/**
 * The application's main window among matches: visible, titled, and the largest client area, because apps
 * like Petrel also own splash screens, tool windows and invisible helper windows.
 */
export function chooseMainWindow(candidates: WindowInfo[]): WindowInfo | undefined {
  const area = (w: WindowInfo) => w.clientRect.width * w.clientRect.height;
  return [...candidates]
    .filter((w) => w.visible && w.clientRect.width > 0 && w.clientRect.height > 0)
    .sort((a, b) => Number(b.title.length > 0) - Number(a.title.length > 0) || area(b) - area(a))[0];
}

export function describeMatch(match: WindowMatch): string {
  const parts = [];
  if (match.processImage !== undefined) parts.push(`process "${match.processImage}"`);
  if (match.titlePattern !== undefined) parts.push(`title /${match.titlePattern}/`);
  return parts.join(' and ');
}
