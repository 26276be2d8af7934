import { appendFileSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { MARKER_COLUMNS, formatMarkerRow, markerRowSchema } from '../../shared/markers';
import { systemClock, type Clock } from '../ports/clock';

/**
 * Appends markers to markers.tsv, one synchronous append per marker so a crash never loses one that
 * was reported. Both clocks are written: t_run_ms from the run's monotonic start.
 */
export class MarkerWriter {
  constructor(
    readonly file: string,
    private readonly runStartMono: number,
    private readonly clock: Clock = systemClock,
  ) {
    if (!existsSync(file) || statSync(file).size === 0) writeFileSync(file, MARKER_COLUMNS.join('\t') + '\n');
  }

  mark(name: string, detail = '', atMono?: number): void {
    const mono = atMono ?? this.clock.mono();
    // User markers may be named anything ("open project"); the file keeps a safe name and the original.
    const safe = name.replace(/[^A-Za-z0-9_.:-]+/g, '_') || 'marker';
    const fullDetail = safe === name ? detail : [`"${name}"`, detail].filter(Boolean).join(' ');
    const row = markerRowSchema.parse({
      t_unix_ms: Math.round(this.clock.unix() - (this.clock.mono() - mono)),
      t_run_ms: Math.max(0, mono - this.runStartMono),
      name: safe,
      detail: fullDetail.replace(/[\t\r\n]+/g, ' '),
    });
    appendFileSync(this.file, formatMarkerRow(row) + '\n');
  }
}
