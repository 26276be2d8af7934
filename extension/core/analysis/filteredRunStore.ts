import type { SkippedFolder } from '../../shared/kpi';
import { RUN_FILES, type RunStore } from './runStore';

// A view of another store limited to runs whose run.json matches a filter (campaign, machine, workflow), so the
// analysis compares only those. It also learns every run's id, folder and filter values while it discovers, which is
// what a panel needs to offer the filters and to find a run's folder from its id.

export type RunFacts = { run_id: string; folder: string; campaign: string | null; machine: string | null; workflow: string | null };
export type RunFilter = { campaign: string | null; machine: string | null; workflow: string | null };

async function readAll(chunks: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts).toString('utf8');
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

export class FilteredRunStore implements RunStore {
  /** Every run folder the inner store found (filtered out or not), as of the last discover(). */
  facts: RunFacts[] = [];

  constructor(
    private readonly inner: RunStore,
    private readonly filter: RunFilter,
  ) {}

  describe(folder: string, file?: string): string {
    return this.inner.describe(folder, file);
  }

  open(folder: string, file: string): Promise<AsyncIterable<Buffer> | null> {
    return this.inner.open(folder, file);
  }

  async discover(): Promise<{ folders: string[]; skipped: SkippedFolder[] }> {
    const found = await this.inner.discover();
    const facts: RunFacts[] = [];
    const folders: string[] = [];
    for (const folder of found.folders) {
      let manifest: Record<string, unknown> = {};
      try {
        const stream = await this.inner.open(folder, RUN_FILES.manifest);
        manifest = stream ? (JSON.parse(await readAll(stream)) as Record<string, unknown>) : {};
      } catch {
        // An unreadable run.json: the analysis names the problem; here it only fails to match a set filter.
      }
      const m = manifest.machine as Record<string, unknown> | undefined;
      const f: RunFacts = {
        run_id: str(manifest.run_id) ?? folder,
        folder,
        campaign: str(manifest.campaign_id),
        machine: str(m?.hostname),
        workflow: str(manifest.workflow),
      };
      facts.push(f);
      const { campaign, machine, workflow } = this.filter;
      if ((campaign === null || f.campaign === campaign) && (machine === null || f.machine === machine) && (workflow === null || f.workflow === workflow)) folders.push(folder);
    }
    this.facts = facts;
    return { folders, skipped: found.skipped };
  }
}
