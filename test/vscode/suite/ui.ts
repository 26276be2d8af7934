import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import type { FastbenchApi } from '../../../extension/host/extension';
import { skip } from './harness';

// Driving the live workbench as a person would, through the lane's control API (test/vscode/lane/README.md).

export const EXTENSION_ID = 'fastbench.fastbench';

export async function fastbench(): Promise<FastbenchApi> {
  const ext = vscode.extensions.getExtension<FastbenchApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not installed`);
  return ext.activate();
}

export function control(): string {
  const url = process.env.FASTBENCH_VSCODE_CONTROL;
  if (!url) skip('no FASTBENCH_VSCODE_CONTROL: the UI can only be driven under the lane (test/vscode/lane/run.mjs)');
  return url;
}

async function call(pathAndQuery: string): Promise<void> {
  const res = await fetch(`${control()}${pathAndQuery}`);
  if (!res.ok) throw new Error(`control ${pathAndQuery}: ${res.status} ${await res.text()}`);
}

export const press = (key: string) => call(`/press?key=${encodeURIComponent(key)}`);
export const type = (text: string) => call(`/type?text=${encodeURIComponent(text)}`);
export const screenshot = (file: string) => call(`/screenshot?path=${encodeURIComponent(file)}`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** F1, the command's title, Enter: as a person runs a command from the palette. */
export async function palette(title: string): Promise<void> {
  await press('Escape');
  await press('F1');
  await sleep(400);
  await type(title);
  await sleep(600);
  await press('Enter');
}

/** Where the lane's screenshots for the README go (docs/ in the repo), or a temp folder outside the lane. */
export function docsShot(name: string): string {
  const repo = vscode.extensions.getExtension(EXTENSION_ID)?.extensionPath;
  return repo ? path.join(repo, 'docs', name) : path.join(os.tmpdir(), name);
}
