import { formatJsonPath } from '../../shared/jsonWithPositions';
import { formatProblem, type Problem } from '../../shared/problems';

// Problem and formatProblem live in shared/ (the stand-in viewer reports its project file's problems the same
// way); the core's many users keep importing them from here, next to InputError.
export { formatProblem, type Problem };

/** Thrown for bad user input; the CLI maps it to exit code 2 and prints the problems, never a stack. */
export class InputError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'InputError';
  }

  static single(file: string, expected: string, found?: string, path: (string | number)[] = []): InputError {
    return new InputError([{ file, path: path.length ? formatJsonPath(path) : '', expected, ...(found !== undefined ? { found } : {}) }]);
  }
}
