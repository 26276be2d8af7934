import { isKnownChord } from './keys';

/** Short words joined by "+": a (possibly mistyped) key chord, never an 88-character account key or a SAS. */
const LOOKS_LIKE_CHORD = /^[A-Za-z0-9]{1,12}(\+[A-Za-z0-9]{1,12}){0,3}$/;

// Secrets (SAS tokens, account keys) must never reach disk, logs, run folders or error messages.
// These helpers find them in config values and scrub them from any text we are about to print or write.

export const SECRET_ENV_VAR = 'FASTBENCH_AZURE_SAS';
export const SECRET_HOME =
  'Secrets do not go in fastbench.json: in VS Code run "FastBench: Set Azure SAS" (kept in the OS secret store); ' + `for the CLI set the ${SECRET_ENV_VAR} environment variable.`;

const SAS_SIGNATURE = /([?&;]|^)sig=[^&\s"';]+/i;
const ACCOUNT_KEY = /AccountKey=[^;\s"']+/i;
const SHARED_ACCESS_SIGNATURE = /SharedAccessSignature=[^;\s"']+/i;
// An Azure storage account key is 64 random bytes in base64: 88 characters ending in "==".
const BARE_ACCOUNT_KEY = /^[A-Za-z0-9+/]{86}==$/;
const SECRET_KEY_NAMES = /^(sas|sasToken|sasUrl|accountKey|key|password|secret|connectionString|token)$/i;

export type SecretFinding = { path: (string | number)[]; kind: string };

export function secretKindOf(text: string): string | undefined {
  if (SAS_SIGNATURE.test(text)) return 'a SAS token (sig=…)';
  if (ACCOUNT_KEY.test(text)) return 'an account key (AccountKey=…)';
  if (SHARED_ACCESS_SIGNATURE.test(text)) return 'a SAS (SharedAccessSignature=…)';
  if (BARE_ACCOUNT_KEY.test(text.trim())) return 'what looks like a storage account key';
  return undefined;
}

/** Every place in a parsed JSON value that holds a secret or a key named for one, in document order. */
export function findSecrets(value: unknown, path: (string | number)[] = []): SecretFinding[] {
  // An explicit stack, not recursion: JSON.parse accepts nesting far deeper than the call stack allows.
  // Children are pushed last-first so they pop in document order.
  const found: SecretFinding[] = [];
  const stack: ({ value: unknown; path: (string | number)[] } | SecretFinding)[] = [{ value, path }];
  while (stack.length) {
    const item = stack.pop()!;
    if ('kind' in item) {
      found.push(item);
      continue;
    }
    const { value: v, path: at } = item;
    if (typeof v === 'string') {
      const kind = secretKindOf(v);
      if (kind) found.push({ path: at, kind });
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: [...at, i] });
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, child] = entries[i]!;
        // A workflow step's "key" holds a keyboard key ("PageDown", "a", "Alt+n"), which no secret looks like; a
        // short mistyped one ("Alt+Foo") is left to the schema, which names the valid keys.
        const named = SECRET_KEY_NAMES.test(k) && typeof child === 'string' && child.length > 0 && !(k === 'key' && (isKnownChord(child) || LOOKS_LIKE_CHORD.test(child)));
        stack.push(named ? { path: [...at, k], kind: `a secret-named key "${k}"` } : { value: child, path: [...at, k] });
      }
    }
  }
  return found;
}

/** Text with every SAS signature and account key replaced, for logs and error messages. */
export function redactSecrets(text: string): string {
  return text
    .replace(/([?&;]|\b)sig=[^&\s"';]+/gi, '$1sig=REDACTED')
    .replace(/AccountKey=[^;\s"']+/gi, 'AccountKey=REDACTED')
    .replace(/SharedAccessSignature=[^;\s"']+/gi, 'SharedAccessSignature=REDACTED');
}
