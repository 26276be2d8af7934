import type { Command } from '../command';
import { cacheClear } from './cacheCommands';
import { campaignCommand, runCommand } from './campaignCommand';
import { initCommand } from './initCommand';
import { probeRun } from './probeCommand';
import { recordCommand, replayCommand } from './recordReplayCommands';
import { runsList } from './runsCommand';
import { standinData, standinFastcache } from './standinCommands';
import { standinDemo } from './standinDemo';
import { standinUp } from './standinUp';
import { configValidate, recordingValidate } from './validateCommands';
import { attachWindow, windowsList } from './windowCommands';

/** Only commands that work are listed; `--help` is generated from this table. */
export const COMMANDS: Command[] = [initCommand, campaignCommand, runCommand, configValidate, recordingValidate, runsList, windowsList, attachWindow, recordCommand, replayCommand, probeRun, standinData, standinFastcache, standinUp, standinDemo, cacheClear];
