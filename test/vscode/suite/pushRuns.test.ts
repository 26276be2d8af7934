import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { PushSummary } from '../../../extension/core/analysis/runsPush';
import { containerSas, DEV_ACCOUNT, DEV_KEY, startAzurite } from '../../azure/azuriteHarness';
import { test } from './harness';
import { fastbench, palette, press, sleep, type } from './ui';

// "Push to Blob…" on a campaign of the Runs view, against a real Azurite: the SAS typed into "Set Azure SAS" (kept in
// the secret store), the destination typed into the prompt, the blobs read back with the emulator's key.

test('"Push to Blob…" on a campaign uploads its runs under PREFIX/<campaign> with the SAS from the secret store', async () => {
  const api = await fastbench();
  await vscode.commands.executeCommand('fastbench.clearRunsFilter');
  const azurite = await startAzurite();
  try {
    const { BlobServiceClient, StorageSharedKeyCredential } = require('@azure/storage-blob') as typeof import('@azure/storage-blob');
    const container = new BlobServiceClient(azurite.accountUrl, new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_KEY)).getContainerClient('runs');
    await container.create();
    await palette('FastBench: Set Azure SAS');
    await sleep(600);
    await type(containerSas('runs', 'rwcl'));
    await press('Enter');
    await sleep(800);
    const top = await api.runsTree.children();
    const campaign = top.find((n) => n.kind === 'group' && n.name === 'campaign-demo');
    assert.ok(campaign, 'the fixture campaign folder');
    const pushed = vscode.commands.executeCommand<PushSummary | undefined>('fastbench.pushRuns', campaign);
    await sleep(1200);
    await press('Control+a');
    await type(`${azurite.accountUrl}/runs/pushed`);
    await press('Enter');
    const summary = await pushed;
    assert.ok(summary, 'the push returns its summary');
    assert.equal(summary.runs, 1);
    const blobs: string[] = [];
    for await (const b of container.listBlobsFlat({ prefix: 'pushed/' })) blobs.push(b.name);
    assert.ok(blobs.includes('pushed/campaign-demo/run-001/run.json'), blobs.join(', '));
    assert.equal(summary.uploaded, blobs.length);
    // Pushed again: nothing changed, nothing uploaded (size and Content-MD5 match).
    const again = vscode.commands.executeCommand<PushSummary | undefined>('fastbench.pushRuns', campaign);
    await sleep(1200);
    await press('Enter'); // the prompt proposes the last destination
    const second = await again;
    assert.equal(second?.uploaded, 0);
    assert.equal(second?.unchanged, blobs.length);
  } finally {
    await azurite.stop();
  }
}, 90_000);
