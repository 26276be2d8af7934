import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { freePort } from '../../extension/standin/volume/localAzurite';
import path from 'node:path';

// The azure lane: a real Azurite per test on a free loopback port, real HTTP, real SAS signed with the
// emulator's public development key. Azurite is a devDependency (3.35.x: the last line on Node 20).

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const AZURITE_MAIN = path.join(REPO_ROOT, 'node_modules', 'azurite', 'dist', 'src', 'blob', 'main.js');
export const DEV_ACCOUNT = 'devstoreaccount1';
// Azurite's well-known development key, published by Microsoft; it opens nothing outside the emulator.
export const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const azureSdk = () => require('@azure/storage-blob') as typeof import('@azure/storage-blob');

export { freePort };

/** A loopback TCP listener standing in for the NAS's SMB port. */
export async function tcpListener(): Promise<{ port: number; close: () => Promise<void> }> {
  const server: Server = createServer((socket) => socket.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, close: () => new Promise((r) => server.close(() => r())) };
}

export type Azurite = { accountUrl: string; port: number; child: ChildProcess; stop: () => Promise<void> };

export async function startAzurite(): Promise<Azurite> {
  if (!existsSync(AZURITE_MAIN)) throw new Error(`Azurite is not installed at ${AZURITE_MAIN}: run npm ci`);
  const location = mkdtempSync(path.join(tmpdir(), 'fb-azurite-'));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [AZURITE_MAIN, '--blobHost', '127.0.0.1', '--blobPort', String(port), '--location', location, '--silent', '--disableTelemetry', '--skipApiVersionCheck', '--loose'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const accountUrl = `http://127.0.0.1:${port}/${DEV_ACCOUNT}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    rmSync(location, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const req = request(`${accountUrl}?comp=list`, { timeout: 500 }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
      req.end();
    });
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`Azurite did not start on port ${port}: ${stderr.trim() || 'no answer within 20 s'}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { accountUrl, port, child, stop };
}

/** Creates the container and a blob of `bytes` (a repeating pattern), with the development key. */
export async function putBlob(accountUrl: string, container: string, blob: string, bytes: number): Promise<void> {
  const { BlobServiceClient, StorageSharedKeyCredential } = azureSdk();
  const service = new BlobServiceClient(accountUrl, new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_KEY));
  const c = service.getContainerClient(container);
  await c.createIfNotExists();
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 4) data.writeUInt32LE(i >>> 0, i);
  await c.getBlockBlobClient(blob).uploadData(data, { blockSize: 8 << 20, concurrency: 4 });
}

/** A real container SAS (read, write, create, delete, list) signed with the development key. */
export function containerSas(container: string, permissions = 'rwcdl'): string {
  const { generateBlobSASQueryParameters, ContainerSASPermissions, StorageSharedKeyCredential, SASProtocol } = azureSdk();
  return generateBlobSASQueryParameters(
    {
      containerName: container,
      permissions: ContainerSASPermissions.parse(permissions),
      startsOn: new Date(Date.now() - 5 * 60_000),
      expiresOn: new Date(Date.now() + 60 * 60_000),
      protocol: SASProtocol.HttpsAndHttp,
    },
    new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_KEY),
  ).toString();
}

/** The same SAS with a signature that Azure will reject (a valid shape, the wrong key). */
export function tamperedSas(sas: string): string {
  const p = new URLSearchParams(sas);
  const sig = p.get('sig')!;
  p.set('sig', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
  return p.toString();
}
