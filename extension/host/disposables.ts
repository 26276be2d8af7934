import * as vscode from 'vscode';

/** Collects disposables as they are created, so nothing registered outlives its owner. */
export class DisposableStore implements vscode.Disposable {
  private readonly items: vscode.Disposable[] = [];

  add<T extends vscode.Disposable>(item: T): T {
    this.items.push(item);
    return item;
  }

  dispose(): void {
    for (const item of this.items.splice(0).reverse()) item.dispose();
  }
}
