import assert from 'node:assert/strict';
import { test } from 'node:test';
import { overlayTimelineChart } from '../../extension/shared/kpiCharts';
import type { RunTimeline } from '../../extension/shared/kpi';
import { openFilesByClass } from '../../extension/shared/openFilesByClass';

test('open_files.tsv by class: distinct files per class in first-seen order, storage classes first, bad rows named', () => {
  const text = [
    't_unix_ms\tpath\tclass',
    '1\tC:\\Petrel\\petrel.exe\tlocal',
    '2\t\\\\nas01\\seismic\\demo.zgy\tNAS',
    '3\t\\\\nas01\\seismic\\demo.zgy\tNAS',
    '4\tF:\\fast\\demo.zgy\tFAST_cache',
    '5\tbroken row',
    '',
  ].join('\n');
  const r = openFilesByClass(text, 1);
  assert.deepEqual(r.classes, [
    { class: 'NAS', count: 1, files: ['\\\\nas01\\seismic\\demo.zgy'], more: 0 },
    { class: 'FAST_cache', count: 1, files: ['F:\\fast\\demo.zgy'], more: 0 },
    { class: 'local', count: 1, files: ['C:\\Petrel\\petrel.exe'], more: 0 },
  ]);
  assert.deepEqual(r.problems, ['open_files.tsv:6: expected t_unix_ms, path and a class (NAS, FAST_cache, local, other)']);
  assert.match(openFilesByClass('path\tclass\n').problems[0]!, /^open_files\.tsv:1: expected the header/);
});

test('the A-vs-B overlay puts both runs on one time axis, B dashed, markers labelled by side', () => {
  const t = (read: number): RunTimeline => ({
    run_id: 'r',
    label: 'r',
    t_s: [0, 1],
    cpu_pct: [1, 1],
    proc_cpu_pct: [50, 60],
    read_MB_s: [read, read],
    gpu_pct: [],
    ram_used_mb: [],
    markers: [{ t_s: 0.5, name: 'first_pixel' }],
  });
  const spec = overlayTimelineChart(t(10), t(20), 'NAS', 'FAST');
  const ds = (spec.config as { data: { datasets: { label: string; data: { y: number }[]; borderDash?: number[] }[] } }).data.datasets;
  assert.deepEqual(
    ds.map((d) => [d.label, d.data[0]!.y, Boolean(d.borderDash)]),
    [
      ['A process read MB/s (NAS)', 10, false],
      ['B process read MB/s (FAST)', 20, true],
      ['A process CPU % (NAS)', 50, false],
      ['B process CPU % (FAST)', 50, true],
    ],
  );
  const markers = (spec.config as unknown as { options: { plugins: { fbMarkers: { markers: { name: string }[] } } } }).options.plugins.fbMarkers.markers;
  assert.deepEqual(
    markers.map((m) => m.name),
    ['A first_pixel', 'B first_pixel'],
  );
});
