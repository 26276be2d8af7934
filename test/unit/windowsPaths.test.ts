import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pathClassifier } from '../../extension/core/metrics/pathClasses';
import { canonicalWindowsPath, type DriveMap } from '../../extension/core/metrics/windowsPaths';

const drives: DriveMap = {
  volumes: { 'C:': '\\Device\\HarddiskVolume3', 'D:': '\\Device\\HarddiskVolume5' },
  network: { 'Z:': '\\\\nas01\\seismic', 'Y:': '\\\\nas02\\proj\\' },
};

test('NT, Win32-namespace, UNC and mapped-drive spellings of one file come out as one path', () => {
  const unc = '\\\\nas01\\seismic\\vol\\a.zgy';
  for (const p of [
    '\\Device\\Mup\\nas01\\seismic\\vol\\a.zgy',
    '\\Device\\Mup\\;LanmanRedirector\\;Z:000000000001a2b3\\nas01\\seismic\\vol\\a.zgy',
    '\\Device\\LanmanRedirector\\;Z:000000000001a2b3\\nas01\\seismic\\vol\\a.zgy',
    '\\??\\UNC\\nas01\\seismic\\vol\\a.zgy',
    '\\\\?\\UNC\\nas01\\seismic\\vol\\a.zgy',
    '\\\\.\\UNC\\nas01\\seismic\\vol\\a.zgy',
    '//nas01/seismic/vol/a.zgy',
    'Z:\\vol\\a.zgy',
    'z:/vol/a.zgy',
    '\\\\?\\Z:\\vol\\a.zgy',
  ]) {
    assert.equal(canonicalWindowsPath(p, drives), unc, p);
  }
  assert.equal(canonicalWindowsPath('Y:\\x.zgy', drives), '\\\\nas02\\proj\\x.zgy', 'trailing backslash of the mapping');
  assert.equal(canonicalWindowsPath('\\Device\\Mup\\;RdpDr\\;:1\\tsclient\\C\\f', drives), '\\\\tsclient\\C\\f');
  assert.equal(canonicalWindowsPath('\\Device\\Mup\\;WebDavRedirector\\dav.host@SSL\\share\\f', drives), '\\\\dav.host@SSL\\share\\f');
});

test('local volumes: device paths become drive letters; unknown devices stay NT paths', () => {
  assert.equal(canonicalWindowsPath('\\Device\\HarddiskVolume5\\FastCache\\b.bin', drives), 'D:\\FastCache\\b.bin');
  assert.equal(canonicalWindowsPath('\\device\\harddiskvolume3\\Users\\me\\a.txt', drives), 'C:\\Users\\me\\a.txt');
  assert.equal(canonicalWindowsPath('\\Device\\HarddiskVolume3', drives), 'C:\\');
  assert.equal(canonicalWindowsPath('\\\\?\\GLOBALROOT\\Device\\HarddiskVolume5\\x', drives), 'D:\\x');
  assert.equal(canonicalWindowsPath('\\??\\c:\\x', drives), 'C:\\x');
  assert.equal(canonicalWindowsPath('\\\\?\\d:\\x', drives), 'D:\\x');
  assert.equal(canonicalWindowsPath('\\Device\\HarddiskVolume9\\x', drives), '\\Device\\HarddiskVolume9\\x', 'a volume with no letter');
  assert.equal(canonicalWindowsPath('\\Device\\HarddiskVolume3\\x'), '\\Device\\HarddiskVolume3\\x', 'no drive map: unchanged');
  assert.equal(canonicalWindowsPath('e:\\data\\f', drives), 'E:\\data\\f');
});

test('rules and handle paths meet in one form: NAS share / FAST cache / other, whatever each side was written as', () => {
  const rules = [
    { class: 'local' as const, prefix: 'C:\\' },
    { class: 'FAST_cache' as const, prefix: 'D:\\FastCache' },
    { class: 'NAS' as const, prefix: 'Z:\\' }, // written with the mapped drive the user knows
    { class: 'NAS' as const, prefix: '\\\\NAS02\\Proj\\' },
  ];
  const classify = pathClassifier(rules, true, drives);
  assert.equal(classify('\\Device\\Mup\\;LanmanRedirector\\;Z:000000000001a2b3\\nas01\\seismic\\vol\\a.zgy'), 'NAS');
  assert.equal(classify('\\Device\\Mup\\nas01\\SEISMIC\\vol\\a.zgy'), 'NAS');
  assert.equal(classify('\\\\?\\UNC\\nas02\\proj\\b.zgy'), 'NAS');
  assert.equal(classify('\\Device\\HarddiskVolume5\\FastCache\\vol\\b.bin'), 'FAST_cache');
  assert.equal(classify('\\Device\\HarddiskVolume5\\FastCache2\\b.bin'), 'other', 'a prefix matches whole names only');
  assert.equal(classify('\\Device\\HarddiskVolume3\\Program Files\\Petrel\\x.dll'), 'local');
  assert.equal(classify('\\Device\\HarddiskVolume9\\x'), 'other');
  assert.equal(classify('\\\\nas03\\other\\x'), 'other');
});

test('Linux paths are compared as they are (case matters, whole names only)', () => {
  const classify = pathClassifier([{ class: 'NAS', prefix: '/mnt/nas' }], false);
  assert.equal(classify('/mnt/nas/x'), 'NAS');
  assert.equal(classify('/mnt/nas'), 'NAS');
  assert.equal(classify('/mnt/nas2/x'), 'other');
  assert.equal(classify('/mnt/NAS/x'), 'other');
});
