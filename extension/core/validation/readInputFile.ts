import { readFile } from 'node:fs/promises';
import { InputError } from './problems';

/** Reads a user-supplied text file, turning OS errors into an InputError that names the file. */
export async function readInputFile(file: string, shownAs = file): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder, not a file' : code === 'EACCES' ? 'permission denied' : String(code ?? e);
    throw InputError.single(shownAs, 'expected a readable file', why);
  }
}
