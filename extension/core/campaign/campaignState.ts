import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CACHE_POLICIES, MODES } from '../../shared/names';
import type { PlanEntry } from './plan';

// campaign.json: the plan and how far it got, rewritten atomically after every change, so a campaign killed
// by kill -9 or a reboot can be resumed: complete and failed runs are kept, the one that was running is marked
// aborted and run again.

export const CAMPAIGN_FILE = 'campaign.json';
const RUN_STATES = ['running', 'complete', 'failed', 'aborted'] as const;

const entrySchema = z.object({
  index: z.int().nonnegative(),
  block: z.int().positive(),
  mode: z.enum(MODES),
  policy: z.enum(CACHE_POLICIES),
  workflow: z.object({ name: z.string(), replay: z.string().optional(), batch: z.string().optional(), markers: z.tuple([z.string(), z.string()]).optional() }),
  repeat: z.int().positive(),
  warmup: z.boolean(),
});

const attemptSchema = z.object({ run_id: z.string(), folder: z.string(), status: z.enum(RUN_STATES), reason: z.string().optional(), seconds: z.number().optional() });

export const campaignFileSchema = z.looseObject({
  schema_version: z.literal(1),
  campaign_id: z.string().min(1),
  created_at: z.string(),
  config_file: z.string(),
  config_digest: z.string(),
  plan: z.array(entrySchema),
  /** Attempts per plan index, oldest first; the last one is the entry's state. */
  runs: z.record(z.string(), z.array(attemptSchema)),
  stopped: z.object({ at: z.string(), reason: z.string() }).optional(),
});
export type CampaignFile = z.infer<typeof campaignFileSchema>;
export type Attempt = z.infer<typeof attemptSchema>;

export class CampaignState {
  private constructor(
    readonly folder: string,
    private data: CampaignFile,
  ) {}

  static create(folder: string, init: { campaign_id: string; config_file: string; config_digest: string; plan: PlanEntry[] }): CampaignState {
    const s = new CampaignState(folder, { ...init, schema_version: 1, created_at: new Date().toISOString(), runs: {} });
    s.save();
    return s;
  }

  static load(folder: string): CampaignState {
    const file = path.join(folder, CAMPAIGN_FILE);
    if (!existsSync(file)) throw new Error(`${folder}: no ${CAMPAIGN_FILE} here; --resume takes a campaign folder written by "fastbench campaign"`);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
    }
    const parsed = campaignFileSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    }
    return new CampaignState(folder, parsed.data);
  }

  get id(): string {
    return this.data.campaign_id;
  }
  get digest(): string {
    return this.data.config_digest;
  }
  get plan(): PlanEntry[] {
    return this.data.plan as PlanEntry[];
  }
  get file(): CampaignFile {
    return this.data;
  }

  last(index: number): Attempt | undefined {
    const a = this.data.runs[String(index)];
    return a?.[a.length - 1];
  }

  /** Entries still to run: never tried, or interrupted (the caller re-runs those). */
  pending(): PlanEntry[] {
    return this.plan.filter((e) => {
      const s = this.last(e.index)?.status;
      return s === undefined || s === 'running' || s === 'aborted';
    });
  }

  /** Runs marked "running" in the file are from a campaign process that died; they are aborted now. */
  interrupted(): { entry: PlanEntry; attempt: Attempt }[] {
    return this.plan.flatMap((entry) => {
      const attempt = this.last(entry.index);
      return attempt?.status === 'running' ? [{ entry, attempt }] : [];
    });
  }

  record(index: number, attempt: Attempt): void {
    const list = (this.data.runs[String(index)] ??= []);
    const i = list.findIndex((a) => a.run_id === attempt.run_id);
    if (i >= 0) list[i] = attempt;
    else list.push(attempt);
    this.save();
  }

  extend(entries: PlanEntry[]): void {
    this.data.plan.push(...entries);
    this.save();
  }

  stop(reason: string): void {
    this.data.stopped = { at: new Date().toISOString(), reason };
    this.save();
  }

  private save(): void {
    const file = path.join(this.folder, CAMPAIGN_FILE);
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(this.data, null, 2) + '\n');
    renameSync(tmp, file);
  }
}
