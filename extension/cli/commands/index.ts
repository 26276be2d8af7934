import type { Command } from '../command';
import { analyzeCommand } from './analyzeCommand';
import { cacheClear } from './cacheCommands';
import { campaignCommand, runCommand } from './campaignCommand';
import { coldHelperInstall, coldHelperStatus, coldHelperUninstall } from './coldHelperCommands';
import { initCommand } from './initCommand';
import { probeRun } from './probeCommand';
import { recordCommand, replayCommand } from './recordReplayCommands';
import { runsList } from './runsCommand';
import { runsPush } from './runsPushCommand';
import { standinData, standinFastcache } from './standinCommands';
import { standinDemo } from './standinDemo';
import { standinUp } from './standinUp';
import { configValidate, recordingValidate } from './validateCommands';
import { attachWindow, windowsList } from './windowCommands';

/** Only commands that work are listed; `--help` is generated from this table. */
export const COMMANDS: Command[] = [
  initCommand,
  campaignCommand,
  runCommand,
  analyzeCommand,
  configValidate,
  recordingValidate,
  runsList,
  runsPush,
  windowsList,
  attachWindow,
  recordCommand,
  replayCommand,
  probeRun,
  standinData,
  standinFastcache,
  standinUp,
  standinDemo,
  cacheClear,
  coldHelperInstall,
  coldHelperUninstall,
  coldHelperStatus,
];
