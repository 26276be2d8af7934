import type { Command } from '../command';
import { recordCommand, replayCommand } from './recordReplayCommands';
import { runsList } from './runsCommand';
import { configValidate, recordingValidate } from './validateCommands';
import { attachWindow, windowsList } from './windowCommands';

/** Only commands that work are listed; `--help` is generated from this table. */
export const COMMANDS: Command[] = [configValidate, recordingValidate, runsList, windowsList, attachWindow, recordCommand, replayCommand];
