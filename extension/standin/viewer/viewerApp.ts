import { mkdirSync, openSync, writeSync, fsyncSync, closeSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import type { BrickSource } from '../volume/brickSource';
import { VolumeLayout, type VolumeHeader } from '../volume/volumeFormat';
import { renderSlice, SeismicVolume, type Slice } from './sliceMath';
import { BUSY_RGB, STATUS_PATCH, statusRgb, type ViewerStep } from '../../shared/standinStatus';
import type { PresentStamp, WindowInput } from './x11Window';

/** What the app needs from a window; the X11 and Win32 windows both provide it. */
export interface ViewerWindow {
  width: number;
  height: number;
  readonly handle: string;
  setTitle(title: string): void;
  blit(rgb: Uint8Array, x: number, y: number, w: number, h: number): void;
  fill(x: number, y: number, w: number, h: number, rgb: [number, number, number]): void;
  /** Returns when the frame reached the display server, where the window can tell (ground truth). */
  present(text?: { x: number; y: number; s: string }[], region?: { x: number; y: number; w: number; h: number }): PresentStamp | void;
  close(): void;
}

export type ViewerOptions = {
  name: string;
  mode: string;
  exportFolder: string;
  stepLog?: string;
  startInline?: number;
  horizonInlines?: number;
};

const BAR = STATUS_PATCH.height;
/** The ground-truth log's columns: every step's busy frame and final frame, stamped on the system monotonic clock. */
export const TRUTH_LOG_HEADER = 'frame\tstep\tcount\tinline\tput_mono_ms\tpresented_mono_ms';

/**
 * The stand-in's behaviour, like Petrel's for the workflows we time: PageDown/PageUp step inlines, A
 * computes an attribute, a click then H autotracks a horizon, E exports the current brick row. Input
 * arriving while busy is queued and handled in order, as a desktop application would.
 */
export class ViewerApp {
  private volume!: SeismicVolume;
  private inline = 0;
  private shown: Slice | undefined;
  private shownKind = 'amplitude';
  private clip = 0;
  private seed: { j: number; k: number } | undefined;
  private horizon: Map<number, Int16Array> = new Map();
  private readonly counts: Record<ViewerStep, number> = { open: 0, inline: 0, attribute: 0, horizon: 0, export: 0, select: 0 };
  private lastStep: ViewerStep = 'open';
  private busy = false;
  private queue: Promise<void> = Promise.resolve();
  private window!: ViewerWindow;
  /** Where each step's frames are logged with their present times: FASTBENCH_STANDIN_TRUTH_LOG=<file>. */
  private readonly truthLog = process.env.FASTBENCH_STANDIN_TRUTH_LOG;

  constructor(
    private readonly source: BrickSource,
    private readonly header: VolumeHeader,
    private readonly options: ViewerOptions,
  ) {
    if (this.truthLog) appendFileSync(this.truthLog, TRUTH_LOG_HEADER + '\n');
  }

  get title(): string {
    return `FastBench Stand-in — ${this.options.name} (${this.options.mode}) — inline ${this.inline}`;
  }

  attach(window: ViewerWindow): void {
    this.window = window;
  }

  /** The first render after start: Petrel's "project open" ends with the first pixels of the view. */
  async open(): Promise<void> {
    const layout = new VolumeLayout(this.header);
    this.volume = new SeismicVolume(this.source, layout);
    this.inline = Math.min(this.header.dims[0] - 1, Math.max(0, this.options.startInline ?? 0));
    await this.step('open', async () => {
      this.shown = await this.volume.inline(this.inline);
      this.clip = percentileAbs(this.shown.values, 0.99);
      this.shownKind = 'amplitude';
    });
  }

  handle(input: WindowInput): void {
    this.queue = this.queue.then(() => this.dispatch(input)).catch((e: Error) => this.logStep('error', e.message));
  }

  private async dispatch(input: WindowInput): Promise<void> {
    if (input.kind === 'click') {
      const area = this.imageArea();
      if (input.y < area.y || !this.shown) return;
      const j = Math.floor(((input.x - area.x) * this.shown.width) / area.w);
      const k = Math.floor(((input.y - area.y) * this.shown.height) / area.h);
      this.seed = { j: Math.max(0, Math.min(this.shown.width - 1, j)), k: Math.max(0, Math.min(this.shown.height - 1, k)) };
      await this.step('select', async () => {});
      return;
    }
    if (input.kind !== 'key') return;
    const key = input.key.toLowerCase();
    const [ni] = this.header.dims;
    if (key === 'next' || key === 'prior') {
      const next = key === 'next' ? Math.min(ni - 1, this.inline + 1) : Math.max(0, this.inline - 1);
      await this.step('inline', async () => {
        this.inline = next;
        this.shown = await this.volume.inline(next);
        this.shownKind = 'amplitude';
      });
    } else if (key === 'a') {
      await this.step('attribute', async () => {
        this.shown = await this.volume.rmsAttribute(this.inline);
        this.shownKind = 'rms';
      });
    } else if (key === 'h') {
      if (!this.seed) {
        this.logStep('horizon', 'ignored: click a seed point first');
        return;
      }
      const seed = this.seed;
      await this.step('horizon', async () => {
        const { inlines, picks } = await this.volume.trackHorizon(this.inline, seed.j, seed.k, this.options.horizonInlines ?? 64);
        this.horizon = new Map(inlines.map((i, n) => [i, picks[n]!]));
      });
    } else if (key === 'e') {
      await this.step('export', async () => {
        const bricks = await this.volume.brickRow(this.inline);
        mkdirSync(this.options.exportFolder, { recursive: true });
        const file = path.join(this.options.exportFolder, `export_inline${this.inline}_${this.counts.export + 1}.bin`);
        const fd = openSync(file, 'w');
        try {
          for (const b of bricks) writeSync(fd, b);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      });
    }
  }

  private async step(name: ViewerStep, work: () => Promise<void>): Promise<void> {
    const started = performance.now();
    this.busy = true;
    this.window.setTitle(this.title);
    this.logTruth('busy', name, this.paintStatus());
    try {
      await work();
      this.counts[name]++;
      this.lastStep = name;
    } finally {
      this.busy = false;
      this.logTruth('done', name, this.redraw());
      this.logStep(name, `done in ${(performance.now() - started).toFixed(1)} ms, inline ${this.inline}`);
    }
  }

  /** Written after the frame is on screen, so logging never delays what it measures. */
  private logTruth(frame: 'busy' | 'done', step: ViewerStep, stamp: PresentStamp | void): void {
    if (!this.truthLog || !stamp) return;
    appendFileSync(this.truthLog, `${frame}\t${step}\t${this.counts[step]}\t${this.inline}\t${stamp.put_mono_ms.toFixed(3)}\t${stamp.presented_mono_ms.toFixed(3)}\n`);
  }

  private imageArea(): { x: number; y: number; w: number; h: number } {
    return { x: 0, y: BAR, w: this.window.width, h: Math.max(1, this.window.height - BAR) };
  }

  private paintStatus(): PresentStamp | void {
    const w = this.window;
    w.fill(0, 0, w.width, BAR, [24, 24, 32]);
    w.fill(STATUS_PATCH.x, STATUS_PATCH.y, STATUS_PATCH.width, STATUS_PATCH.height, this.busy ? BUSY_RGB : statusRgb(this.lastStep, this.counts[this.lastStep]));
    return w.present([{ x: 44, y: 20, s: this.statusText() }], { x: 0, y: 0, w: w.width, h: BAR });
  }

  private statusText(): string {
    const shown = this.shownKind === 'rms' ? 'RMS amplitude' : 'amplitude';
    const seed = this.seed ? `  |  seed ${this.seed.j},${this.seed.k}` : '';
    return `${this.options.mode}  |  inline ${this.inline}/${this.header.dims[0] - 1}  |  ${shown}${seed}${this.busy ? '  |  busy' : ''}`;
  }

  /** Paints everything: the slice, the horizon on it, the seed, and the status bar. */
  redraw(): PresentStamp | void {
    const w = this.window;
    const area = this.imageArea();
    if (this.shown) {
      const clip = this.shownKind === 'rms' ? percentileAbs(this.shown.values, 0.99) : this.clip;
      w.blit(renderSlice(this.shown, area.w, area.h, clip || undefined), area.x, area.y, area.w, area.h);
      const picks = this.horizon.get(this.inline);
      if (picks) {
        for (let x = 0; x < area.w; x++) {
          const j = Math.min(picks.length - 1, Math.floor((x * picks.length) / area.w));
          const y = area.y + Math.floor(((picks[j]! + 0.5) * area.h) / this.shown.height);
          w.fill(x, y - 1, 1, 3, [255, 200, 0]);
        }
      }
      if (this.seed) {
        const sx = area.x + Math.floor(((this.seed.j + 0.5) * area.w) / this.shown.width);
        const sy = area.y + Math.floor(((this.seed.k + 0.5) * area.h) / this.shown.height);
        w.fill(sx - 5, sy, 11, 1, [0, 200, 255]);
        w.fill(sx, sy - 5, 1, 11, [0, 200, 255]);
      }
    } else {
      w.fill(area.x, area.y, area.w, area.h, [0, 0, 0]);
    }
    w.fill(0, 0, w.width, BAR, [24, 24, 32]);
    w.fill(STATUS_PATCH.x, STATUS_PATCH.y, STATUS_PATCH.width, STATUS_PATCH.height, this.busy ? BUSY_RGB : statusRgb(this.lastStep, this.counts[this.lastStep]));
    w.setTitle(this.title);
    return w.present([{ x: 44, y: 20, s: this.statusText() }]);
  }

  private logStep(step: string, detail: string): void {
    if (!this.options.stepLog) return;
    appendFileSync(this.options.stepLog, `${Date.now()}\t${step}\t${this.counts[step as ViewerStep] ?? ''}\t${detail}\n`);
  }
}

/** The q-quantile of |values|, for a display clip that does not depend on one spike. */
function percentileAbs(values: Float32Array, q: number): number {
  const step = Math.max(1, Math.floor(values.length / 20000));
  const sample: number[] = [];
  for (let i = 0; i < values.length; i += step) sample.push(Math.abs(values[i]!));
  sample.sort((a, b) => a - b);
  return sample[Math.min(sample.length - 1, Math.floor(q * sample.length))] ?? 0;
}
