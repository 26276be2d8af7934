import { Worker } from 'node:worker_threads';
import koffi from 'koffi';
import type { OpenFilesLister } from '../../core/metrics/openFiles';
import { canonicalWindowsPath, type DriveMap } from '../../core/metrics/windowsPaths';
import { koffiModulePath } from '../koffiPath';

// Which files a Windows process holds open, the way psutil and Process Explorer find out: the system's handle table
// (NtQuerySystemInformation(SystemExtendedHandleInformation = 64)) filtered to the target's PID and to File
// objects, each handle duplicated into this process, kept only when GetFileType says FILE_TYPE_DISK, and named with
// GetFinalPathNameByHandleW(VOLUME_NAME_NT) (NtQueryObject(ObjectNameInformation) when that fails). The naming can
// block for as long as another thread of the target waits in a synchronous read of that same file (a slow NAS read)
// and, for pipes, forever; so it runs on a worker thread and the caller gives up after `lookupTimeoutMs`, skips that
// handle from then on and starts a fresh worker (the stuck one is left to finish its call). Pipes and other non-disk
// handles never reach the naming call. Works without admin rights for a same-user, same-integrity target.

/** Slots of the shared Int32Array: what the worker is doing, so the caller can tell which handle hung. */
const Slot = { Busy: 0, Handle: 1 } as const;
/** Float64 slot: performance.timeOrigin + now() when the current lookup began. */
const Since = 0;

type WorkerData = { koffiPath: string; state: SharedArrayBuffer; since: SharedArrayBuffer; stallMs: number };
type ScanRequest = { id: number; pids: number[]; skip: number[] };
export type ScanReply = {
  id: number;
  /** NT paths (\Device\HarddiskVolume3\…, \Device\Mup\…) of the disk files the processes hold open. */
  paths: string[];
  /** Handles in the whole system's table, the target's file handles among them, and the files (not directories) named. */
  systemHandles: number;
  fileHandles: number;
  diskFiles: number;
  /** Handles that could not be duplicated (e.g. access denied: another user's or a higher-integrity process). */
  denied: number;
  /** Handles answered from the previous scans (same handle, same kernel object): no system call made for them. */
  cached: number;
  /** File handles whose kernel object address the system shows (0 = hidden from this caller): the cacheable ones. */
  withObject: number;
  error?: string;
};

/** The worker's whole program, sent as source text: it must not refer to anything outside itself. */
function scanThreadMain(data: WorkerData, port: { postMessage(value: unknown): void; on(ev: 'message', fn: (m: ScanRequest) => void): void }): void {
  const koffi = require(data.koffiPath) as typeof import('koffi');
  const state = new Int32Array(data.state);
  const since = new Float64Array(data.since);
  const ntdll = koffi.load('ntdll.dll');
  const kernel32 = koffi.load('kernel32.dll');
  const NtQuerySystemInformation = ntdll.func('int32_t __stdcall NtQuerySystemInformation(uint32_t cls, _Out_ uint8_t *buf, uint32_t len, _Out_ uint32_t *ret)');
  const NtQueryObject = ntdll.func('int32_t __stdcall NtQueryObject(uintptr_t h, uint32_t cls, _Out_ uint8_t *buf, uint32_t len, _Out_ uint32_t *ret)');
  const GetCurrentProcess = kernel32.func('uintptr_t __stdcall GetCurrentProcess()');
  const GetCurrentProcessId = kernel32.func('uint32_t __stdcall GetCurrentProcessId()');
  const OpenProcess = kernel32.func('uintptr_t __stdcall OpenProcess(uint32_t access, int inherit, uint32_t pid)');
  const DuplicateHandle = kernel32.func(
    'int __stdcall DuplicateHandle(uintptr_t srcProc, uintptr_t src, uintptr_t dstProc, _Out_ uintptr_t *dst, uint32_t access, int inherit, uint32_t options)',
  );
  const CloseHandle = kernel32.func('int __stdcall CloseHandle(uintptr_t h)');
  const GetFileType = kernel32.func('uint32_t __stdcall GetFileType(uintptr_t h)');
  const GetFinalPathNameByHandleW = kernel32.func('uint32_t __stdcall GetFinalPathNameByHandleW(uintptr_t h, _Out_ uint16_t *buf, uint32_t len, uint32_t flags)');
  const GetFileInformationByHandleEx = kernel32.func('int __stdcall GetFileInformationByHandleEx(uintptr_t h, int cls, _Out_ uint8_t *buf, uint32_t len)');
  const CreateFileW = kernel32.func(
    'uintptr_t __stdcall CreateFileW(const char16_t *name, uint32_t access, uint32_t share, void *sa, uint32_t disposition, uint32_t flags, uintptr_t template)',
  );
  const INVALID = BigInt.asUintN(64, -1n);
  const PROCESS_DUP_HANDLE = 0x40;
  const DUPLICATE_SAME_ACCESS = 2;
  const FILE_TYPE_DISK = 1;
  const VOLUME_NAME_NT = 2;
  const STATUS_INFO_LENGTH_MISMATCH = 0xc0000004 | 0;
  const ENTRY = 40; // SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX on x64: Object, UniqueProcessId, HandleValue, GrantedAccess, …, ObjectTypeIndex @30
  const self = GetCurrentProcess();
  const ourPid = GetCurrentProcessId();
  let table = Buffer.alloc(1 << 20);
  const name = new Uint16Array(32768);
  const objName = Buffer.alloc(65536 + 16);
  const basicInfo = Buffer.alloc(40); // FILE_BASIC_INFO: four LARGE_INTEGER times, then FileAttributes
  const FILE_ATTRIBUTE_DIRECTORY = 0x10;
  const processes = new Map<number, bigint>();
  let fileType: number | undefined;
  // What each handle named last time, by handle value + kernel object address + access: the same key is the same open
  // file, so steady-state ticks cost the table read alone. Windows hides object addresses from non-admin callers on
  // some builds (0): those handles are looked up every time. null = not a disk file, a directory, or nameless.
  let known = new Map<string, string | null>();

  function snapshot(): Buffer {
    for (;;) {
      const ret = [0];
      const status = NtQuerySystemInformation(64, table, table.length, ret);
      if (status === 0) return table;
      if (status !== STATUS_INFO_LENGTH_MISMATCH || table.length >= 1 << 30)
        throw new Error(`NtQuerySystemInformation(SystemExtendedHandleInformation) failed: NTSTATUS 0x${(status >>> 0).toString(16)}`);
      table = Buffer.alloc(Math.max(table.length * 2, (ret[0] ?? 0) + (1 << 16)));
    }
  }

  /** The type index of File objects differs between Windows builds: learn it from a file of our own. */
  function learnFileType(): number {
    // koffi gives 64-bit integers as a Number when they fit and as a BigInt otherwise: compare as BigInt.
    const h = BigInt(CreateFileW(process.execPath, 0x80000000, 7, null, 3, 0, 0n));
    if (h === INVALID || h === 0n) throw new Error(`cannot open ${process.execPath} to learn the File object type`);
    try {
      const t = snapshot();
      const n = Number(t.readBigUInt64LE(0));
      for (let i = 0; i < n; i++) {
        const at = 16 + i * ENTRY;
        if (Number(t.readBigUInt64LE(at + 8)) === ourPid && t.readBigUInt64LE(at + 16) === h) return t.readUInt16LE(at + 30);
      }
      throw new Error('our own file handle is not in the system handle table');
    } finally {
      CloseHandle(h);
    }
  }

  function nameOf(h: bigint): string | undefined {
    const n = GetFinalPathNameByHandleW(h, name, name.length, VOLUME_NAME_NT);
    if (n > 0 && n < name.length) return String.fromCharCode(...name.subarray(0, n));
    // ObjectNameInformation: UNICODE_STRING { Length, MaximumLength, Buffer } followed by the characters.
    const ret = [0];
    if (NtQueryObject(h, 1, objName, objName.length, ret) !== 0) return undefined;
    const len = objName.readUInt16LE(0);
    return len ? objName.toString('utf16le', 16, 16 + len) : undefined;
  }

  function scan(req: ScanRequest): ScanReply {
    fileType ??= learnFileType();
    const skip = new Set(req.skip);
    const wanted = new Set(req.pids);
    const t = snapshot();
    const n = Number(t.readBigUInt64LE(0));
    const reply: ScanReply = { id: req.id, paths: [], systemHandles: n, fileHandles: 0, diskFiles: 0, denied: 0, cached: 0, withObject: 0 };
    const paths = new Set<string>();
    const seen = new Map<string, string | null>();
    const found = (key: string | undefined, p: string | null) => {
      if (key) seen.set(key, p);
      if (p) {
        reply.diskFiles++;
        paths.add(p);
      }
    };
    for (let i = 0; i < n; i++) {
      const at = 16 + i * ENTRY;
      const pid = Number(t.readBigUInt64LE(at + 8));
      if (!wanted.has(pid) || t.readUInt16LE(at + 30) !== fileType) continue;
      const value = t.readBigUInt64LE(at + 16);
      reply.fileHandles++;
      if (skip.has(Number(value))) continue;
      const object = t.readBigUInt64LE(at);
      if (object) reply.withObject++;
      const key = object ? `${pid}:${value}:${object}:${t.readUInt32LE(at + 24)}` : undefined;
      const before = key === undefined ? undefined : known.get(key);
      if (before !== undefined) {
        reply.cached++;
        found(key, before);
        continue;
      }
      let proc = processes.get(pid);
      if (proc === undefined) {
        proc = BigInt(OpenProcess(PROCESS_DUP_HANDLE, 0, pid));
        // A refusal is not kept: the next tick asks again (the target may have finished starting).
        if (proc) processes.set(pid, proc);
      }
      const dup: (number | bigint)[] = [0];
      if (!proc || !DuplicateHandle(proc, value, self, dup, 0, 0, DUPLICATE_SAME_ACCESS)) {
        reply.denied++;
        continue;
      }
      const h = BigInt(dup[0]!);
      try {
        if (GetFileType(h) !== FILE_TYPE_DISK) {
          found(key, null);
          continue;
        }
        Atomics.store(state, 1, Number(value));
        since[0] = performance.timeOrigin + performance.now();
        Atomics.store(state, 0, 1);
        if (data.stallMs > 0 && Atomics.load(state, 2) === 0) {
          Atomics.store(state, 2, 1);
          Atomics.wait(state, 3, 0, data.stallMs); // test only: a lookup that hangs
        }
        // A directory handle (the current directory, a folder being watched) is no evidence of reading data.
        const isDir = GetFileInformationByHandleEx(h, 0, basicInfo, basicInfo.length) !== 0 && (basicInfo.readUInt32LE(32) & FILE_ATTRIBUTE_DIRECTORY) !== 0;
        const p = isDir ? undefined : nameOf(h);
        Atomics.store(state, 0, 0);
        found(key, p ?? null);
      } finally {
        CloseHandle(h);
      }
    }
    known = seen;
    reply.paths = [...paths].sort();
    return reply;
  }

  port.on('message', (req: ScanRequest) => {
    try {
      port.postMessage(scan(req));
    } catch (e) {
      Atomics.store(state, 0, 0);
      port.postMessage({
        id: req.id,
        paths: [],
        systemHandles: 0,
        fileHandles: 0,
        diskFiles: 0,
        denied: 0,
        cached: 0,
        withObject: 0,
        error: (e as Error).message,
      } satisfies ScanReply);
    }
  });
}

/** Hung name lookups after which the lister stops (each leaves a thread blocked until its call returns). */
const MAX_ABANDONED = 4;

const WORKER_SOURCE = `(${scanThreadMain.toString()})(require('node:worker_threads').workerData, require('node:worker_threads').parentPort);`;

export type OpenHandlesOptions = {
  /** How long one file-name lookup may take before its handle is skipped for good (ms). */
  lookupTimeoutMs?: number;
  /** Test only: the first lookup of each worker hangs this long. */
  stallMs?: number;
};

/** A handle scanner for the agent: one worker, replaced when a lookup hangs. */
export class OpenHandleScanner {
  private worker: Worker | undefined;
  private state = new Int32Array(new SharedArrayBuffer(16));
  private since = new Float64Array(new SharedArrayBuffer(8));
  private nextId = 1;
  private readonly skip = new Set<number>();
  private readonly lookupTimeoutMs: number;
  private stallMs: number;
  /** Workers given up on because a lookup hung (each one is a thread still waiting in the OS). */
  abandoned = 0;

  constructor(options: OpenHandlesOptions = {}) {
    this.lookupTimeoutMs = options.lookupTimeoutMs ?? 100;
    this.stallMs = options.stallMs ?? 0;
  }

  /** Starts the worker now, so its start-up (loading koffi, ~0.1-0.2 s) is not paid by the first tick. */
  prestart(): void {
    this.worker ??= this.start();
  }

  /** Handle values skipped because naming them hung. */
  get skipped(): number[] {
    return [...this.skip];
  }

  private start(): Worker {
    this.state = new Int32Array(new SharedArrayBuffer(16));
    this.since = new Float64Array(new SharedArrayBuffer(8));
    const data: WorkerData = {
      koffiPath: koffiModulePath(),
      state: this.state.buffer as SharedArrayBuffer,
      since: this.since.buffer as SharedArrayBuffer,
      stallMs: this.stallMs,
    };
    this.stallMs = 0; // a test stall hangs the first worker only
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: data, stdout: false, stderr: false });
    w.unref();
    return w;
  }

  /**
   * The disk files the processes hold open, as NT paths. Resolves with `hung` set when a lookup hung: that tick's
   * list is incomplete (undefined) and the handle is skipped from then on.
   */
  scan(pids: number[]): Promise<ScanReply & { hung?: number }> {
    // Each hang leaves a thread stuck in the kernel until its call returns: past a few, stop scanning rather than
    // pile them up (a slow NAS in a Cold run is where names hang).
    if (this.abandoned >= MAX_ABANDONED) {
      const error = `open-file listing is off: ${this.abandoned} name lookups hung (over ${this.lookupTimeoutMs} ms each)`;
      return Promise.resolve({ id: -1, paths: [], systemHandles: 0, fileHandles: 0, diskFiles: 0, denied: 0, cached: 0, withObject: 0, error });
    }
    const w = (this.worker ??= this.start());
    const id = this.nextId++;
    const state = this.state;
    const since = this.since;
    return new Promise((resolve) => {
      const done = (r: ScanReply & { hung?: number }) => {
        clearInterval(watch);
        w.off('message', onMessage);
        w.off('error', onError);
        resolve(r);
      };
      const onMessage = (r: ScanReply) => {
        if (r.id === id) done(r);
      };
      const onError = (e: Error) => {
        this.worker = undefined;
        done({ id, paths: [], systemHandles: 0, fileHandles: 0, diskFiles: 0, denied: 0, cached: 0, withObject: 0, error: `handle scan thread failed: ${e.message}` });
      };
      const watch = setInterval(
        () => {
          if (Atomics.load(state, Slot.Busy) !== 1 || performance.timeOrigin + performance.now() - since[Since]! < this.lookupTimeoutMs) return;
          const handle = Atomics.load(state, Slot.Handle);
          this.skip.add(handle);
          this.abandoned++;
          this.worker = undefined;
          // The stuck thread ends when its call returns; nothing waits for it.
          void w.terminate().catch(() => undefined);
          done({
            id,
            paths: [],
            cached: 0,
            withObject: 0,
            systemHandles: 0,
            fileHandles: 0,
            diskFiles: 0,
            denied: 0,
            hung: handle,
            error: `naming handle 0x${handle.toString(16)} took over ${this.lookupTimeoutMs} ms; it is skipped from now on`,
          });
        },
        Math.max(5, Math.min(25, this.lookupTimeoutMs / 4)),
      );
      w.on('message', onMessage);
      w.on('error', onError);
      w.postMessage({ id, pids, skip: [...this.skip] } satisfies ScanRequest);
    });
  }

  close(): void {
    void this.worker?.terminate().catch(() => undefined);
    this.worker = undefined;
  }
}

/**
 * What each drive letter stands for: QueryDosDeviceW gives "\Device\HarddiskVolume3" for a local volume (and a
 * redirector path for a mapped drive), WNetGetConnectionW the "\\server\share" of a mapped network drive.
 */
export function readDriveMap(): DriveMap {
  const kernel32 = koffi.load('kernel32.dll');
  const mpr = koffi.load('mpr.dll');
  const GetLogicalDrives = kernel32.func('uint32_t __stdcall GetLogicalDrives()');
  const QueryDosDeviceW = kernel32.func('uint32_t __stdcall QueryDosDeviceW(const char16_t *name, _Out_ uint16_t *buf, uint32_t len)');
  const WNetGetConnectionW = mpr.func('uint32_t __stdcall WNetGetConnectionW(const char16_t *local, _Out_ uint16_t *remote, _Inout_ uint32_t *len)');
  const text = (buf: Uint16Array) => {
    const end = buf.indexOf(0);
    return String.fromCharCode(...buf.subarray(0, end < 0 ? buf.length : end));
  };
  const map: DriveMap = { volumes: {}, network: {} };
  const mask = GetLogicalDrives();
  const buf = new Uint16Array(1024);
  for (let i = 0; i < 26; i++) {
    if (!(mask & (1 << i))) continue;
    const letter = `${String.fromCharCode(65 + i)}:`;
    const len = [buf.length];
    if (WNetGetConnectionW(letter, buf, len) === 0) {
      map.network[letter] = text(buf);
      continue;
    }
    if (QueryDosDeviceW(letter, buf, buf.length) > 0) map.volumes[letter] = text(buf);
  }
  return map;
}

/**
 * The agent's open-files source on Windows: the target's disk files from its handles, in the one spelling
 * canonicalWindowsPath gives (\\server\share\… for the network, X:\… for local volumes).
 */
export function windowsOpenFilesLister(options: OpenHandlesOptions = {}): OpenFilesLister {
  const scanner = new OpenHandleScanner(options);
  scanner.prestart();
  let drives: DriveMap;
  let driveError: string | undefined;
  try {
    drives = readDriveMap();
  } catch (e) {
    drives = { volumes: {}, network: {} };
    driveError = `drive letters unknown (${(e as Error).message}); paths stay NT device paths`;
  }
  let warning: string | undefined = driveError;
  return {
    source: `handle enumeration (NtQuerySystemInformation(SystemExtendedHandleInformation), DuplicateHandle, FILE_TYPE_DISK only, GetFinalPathNameByHandleW on a worker, ${options.lookupTimeoutMs ?? 100} ms per lookup)`,
    drives,
    get warning() {
      return warning;
    },
    async list(pid) {
      const r = await scanner.scan([pid]);
      warning =
        r.error ??
        (r.denied && !r.diskFiles ? `${r.denied} of the target's file handles could not be duplicated (access denied: another user or a higher integrity level)` : driveError);
      if (r.error) return undefined;
      return [...new Set(r.paths.map((p) => canonicalWindowsPath(p, drives)))].sort();
    },
    close: () => scanner.close(),
  };
}
