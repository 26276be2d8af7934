import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findSecrets, redactSecrets, secretKindOf } from '../../extension/shared/secrets';

test('SAS signatures and account keys are redacted from text', () => {
  const text = 'GET https://a.blob.core.windows.net/c/b?sv=2022-11-02&sp=r&sig=abc%2Fdef123 failed; AccountKey=Zm9vYmFy==;x';
  const red = redactSecrets(text);
  assert.ok(!red.includes('abc%2Fdef123') && !red.includes('Zm9vYmFy'));
  assert.match(red, /sig=REDACTED/);
  assert.match(red, /AccountKey=REDACTED;x/);
});

test('secrets are found by value and by key name, with their paths', () => {
  const found = findSecrets({ a: { url: 'https://x/?sv=1&sig=abcdef' }, list: ['ok', { password: 'p' }], key: '' });
  assert.deepEqual(
    found.map((f) => f.path),
    [
      ['a', 'url'],
      ['list', 1, 'password'],
    ],
  );
  assert.equal(secretKindOf('plain text'), undefined);
  assert.ok(secretKindOf('A'.repeat(86) + '=='));
});
