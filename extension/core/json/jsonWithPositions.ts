// A JSON parser that remembers where every value and key starts, so a validation error can say
// "line 12:7" and not just a path. JSON.parse gives neither positions for values nor useful messages
// for truncated input ("Unexpected end of JSON input").

export type JsonPath = readonly (string | number)[];
export type Position = { line: number; column: number; offset: number };

export type JsonSyntaxError = { message: string; expected: string; found: string; position: Position };

export type ParsedJson =
  | { ok: true; value: unknown; valueAt(path: JsonPath): Position | undefined; keyAt(path: JsonPath): Position | undefined }
  | { ok: false; error: JsonSyntaxError };

const pathKey = (path: JsonPath) => path.map(String).join('\u0000');

class SyntaxFailure extends Error {
  constructor(
    readonly expected: string,
    readonly found: string,
    readonly offset: number,
  ) {
    super(`expected ${expected}, found ${found}`);
  }
}

export function parseJsonWithPositions(text: string): ParsedJson {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const toPosition = (offset: number): Position => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - lineStarts[lo]! + 1, offset };
  };

  const values = new Map<string, number>();
  const keys = new Map<string, number>();
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  const describe = (at: number): string => {
    if (at >= text.length) return 'end of file';
    const ch = text[at]!;
    if (/\s/.test(ch)) return 'whitespace';
    const word = /^[A-Za-z0-9_.+-]+/.exec(text.slice(at, at + 20))?.[0];
    return word ? `"${word}"` : `"${ch}"`;
  };
  const fail = (expected: string, at = i): never => {
    throw new SyntaxFailure(expected, describe(at), at);
  };
  const skipSpace = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };

  const parseString = (): string => {
    const start = i;
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= text.length) fail('a closing quote for the string started at ' + fmt(toPosition(start)));
      const c = text[i]!;
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '\\') {
        const e = text[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          fail('a valid escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)', i);
        }
      } else if (c.charCodeAt(0) < 0x20) {
        fail('no raw control characters or line breaks inside a string (use \\n)', i);
      } else {
        out += c;
        i++;
      }
    }
  };

  const parseValue = (path: (string | number)[]): unknown => {
    skipSpace();
    values.set(pathKey(path), i);
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      skipSpace();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        skipSpace();
        if (text[i] !== '"') fail(Object.keys(obj).length ? 'a property name in double quotes (no trailing commas)' : 'a property name in double quotes or "}"');
        const keyStart = i;
        const key = parseString();
        keys.set(pathKey([...path, key]), keyStart);
        skipSpace();
        if (text[i] !== ':') fail(`":" after property name "${key}"`);
        i++;
        const v = parseValue([...path, key]);
        // defineProperty so a "__proto__" key stays data and never changes the prototype.
        Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
        skipSpace();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail(`"," or "}" after the value of "${key}"`);
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      skipSpace();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue([...path, arr.length]));
        skipSpace();
        if (text[i] === ',') {
          i++;
          skipSpace();
          if (text[i] === ']') fail('a value after "," (no trailing commas)');
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail(`"," or "]" after array element ${arr.length - 1}`);
      }
    }
    if (c === '"') return parseString();
    const literal = /^(true|false|null)/.exec(text.slice(i, i + 5))?.[0];
    if (literal) {
      i += literal.length;
      return literal === 'true' ? true : literal === 'false' ? false : null;
    }
    const num = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400))?.[0];
    if (num) {
      i += num.length;
      return Number(num);
    }
    return fail('a value (object, array, string, number, true, false or null)');
  };

  try {
    skipSpace();
    if (i >= text.length) throw new SyntaxFailure('a JSON value', 'an empty file', i);
    const value = parseValue([]);
    skipSpace();
    if (i < text.length) fail('end of file after the top-level value');
    return {
      ok: true,
      value,
      valueAt: (path) => at(values, path),
      keyAt: (path) => at(keys, path),
    };
  } catch (e) {
    if (!(e instanceof SyntaxFailure)) throw e;
    return { ok: false, error: { message: e.message, expected: e.expected, found: e.found, position: toPosition(e.offset) } };
  }

  function at(map: Map<string, number>, path: JsonPath): Position | undefined {
    const offset = map.get(pathKey(path));
    return offset === undefined ? undefined : toPosition(offset);
  }
}

export function fmt(p: Position): string {
  return `${p.line}:${p.column}`;
}

/** `events[3].t_ms` style, as people write paths. */
export function formatJsonPath(path: JsonPath): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((p, idx) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(p) ? (idx ? `.${p}` : p) : `[${JSON.stringify(p)}]`))
    .join('');
}
