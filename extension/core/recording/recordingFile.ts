import { recordingSchema, type Recording } from '../../shared/recording';
import { InputError } from '../validation/problems';
import { readInputFile } from '../validation/readInputFile';
import { validateJsonText, type Validated } from '../../shared/validateJson';

export function validateRecordingText(file: string, text: string): Validated<Recording> {
  return validateJsonText(file, text, recordingSchema);
}

export async function loadRecording(file: string): Promise<Recording> {
  const result = validateRecordingText(file, await readInputFile(file));
  if (!result.ok) throw new InputError(result.problems);
  return result.value;
}
