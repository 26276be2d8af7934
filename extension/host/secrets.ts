import * as vscode from 'vscode';

/** Every secret FastBench keeps, by a typed key; values never leave SecretStorage except into a request. */
export type SecretKey = 'fastbench.azure.sas';

export class SecretStore {
  constructor(private readonly storage: vscode.SecretStorage) {}

  get(key: SecretKey): Thenable<string | undefined> {
    return this.storage.get(key);
  }

  store(key: SecretKey, value: string): Thenable<void> {
    return this.storage.store(key, value);
  }

  delete(key: SecretKey): Thenable<void> {
    return this.storage.delete(key);
  }
}

/** A SAS is the query part of a SAS URL; accept either and keep only the query. */
export function normaliseSas(input: string): { sas: string } | { error: string } {
  const trimmed = input.trim();
  const query = trimmed.includes('?') ? trimmed.slice(trimmed.indexOf('?') + 1) : trimmed;
  const params = new URLSearchParams(query);
  if (!params.get('sig')) return { error: 'A SAS token has a "sig=" parameter, e.g. "sv=2022-11-02&ss=b&…&sig=…"' };
  if (!params.get('sv')) return { error: 'A SAS token has an "sv=" (signed version) parameter' };
  return { sas: query };
}
