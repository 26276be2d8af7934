// The ESM build: the package's "main" is a UMD wrapper whose require() calls no bundler can follow.
import { createScanner, type SyntaxKind } from 'jsonc-parser/lib/esm/main.js';

// A strict JSON parser that remembers where every value and key starts, so a validation error can say
// "line 12:7" and not just a path. JSON.parse gives neither positions for values nor useful messages for
// truncated input ("Unexpected end of JSON input"). Tokens come from jsonc-parser's scanner (what VS Code's
// JSON support uses); the structure is parsed here with an explicit stack, never by recursion, so a file
// nested 100,000 levels deep gets a clear error instead of a stack overflow.

export type JsonPath = readonly (string | number)[];
export type Position = { line: number; column: number; offset: number };

export type JsonSyntaxError = { message: string; expected: string; found: string; position: Position };

export type ParsedJson =
  { ok: true; value: unknown; valueAt(path: JsonPath): Position | undefined; keyAt(path: JsonPath): Position | undefined } | { ok: false; error: JsonSyntaxError };

// jsonc-parser's token kinds are a `const enum`, which isolated modules cannot read: its values, as published.
const T = {
  OpenBrace: 1,
  CloseBrace: 2,
  OpenBracket: 3,
  CloseBracket: 4,
  Comma: 5,
  Colon: 6,
  Null: 7,
  True: 8,
  False: 9,
  String: 10,
  Number: 11,
  LineBreak: 14,
  Whitespace: 15,
  EOF: 17,
} as const satisfies Record<string, SyntaxKind>;
const NO_SCAN_ERROR = 0;

/** Deeper than any file FastBench reads (recordings nest five levels); deeper input is refused, not parsed. */
export const MAX_JSON_DEPTH = 512;

/** Where the children of one array or object start: offsets of values (by key or index) and of keys. */
type Offsets = { values: Map<string | number, number>; keys: Map<string, number> };

type Frame =
  | { kind: 'object'; at: number; value: Record<string, unknown>; offsets: Offsets; key: string | undefined; state: 'firstKey' | 'key' | 'colon' | 'value' | 'next' }
  | { kind: 'array'; at: number; value: unknown[]; offsets: Offsets; state: 'firstValue' | 'value' | 'next' };

class SyntaxFailure extends Error {
  constructor(
    readonly expected: string,
    readonly found: string,
    readonly offset: number,
  ) {
    super(`expected ${expected}, found ${found}`);
  }
}

const VALUE = 'a value (object, array, string, number, true, false or null)';
const ESCAPE = 'a valid escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)';
const RAW_CONTROL = 'no raw control characters or line breaks inside a string (use \\n)';

export function parseJsonWithPositions(text: string): ParsedJson {
  let lineStarts: number[] | undefined;
  const toPosition = (offset: number): Position => {
    if (!lineStarts) {
      lineStarts = [0];
      for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
    }
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - lineStarts[lo]! + 1, offset };
  };

  const describe = (at: number): string => {
    if (at >= text.length) return 'end of file';
    const ch = text[at]!;
    if (/\s/.test(ch)) return 'whitespace';
    const word = /^[A-Za-z0-9_.+-]+/.exec(text.slice(at, at + 20))?.[0];
    return word ? `"${word}"` : JSON.stringify(ch);
  };
  const fail = (expected: string, at: number): never => {
    throw new SyntaxFailure(expected, describe(at), at);
  };

  /** The first thing wrong inside a string token the scanner flagged: a bad escape, a raw control character or its end. */
  const failInString = (start: number): never => {
    for (let i = start + 1; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) break;
      if (c === 92) {
        const e = text[i + 1];
        if (e !== undefined && '"\\/bfnrt'.includes(e)) i++;
        else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 5;
        else fail(ESCAPE, i);
      } else if (c < 0x20) {
        fail(RAW_CONTROL, i);
      }
    }
    return fail(`a closing quote for the string started at ${fmt(toPosition(start))}`, text.length);
  };

  const scanner = createScanner(text, false);
  if (text.charCodeAt(0) === 0xfeff) scanner.setPosition(1);
  /** The next token that is not whitespace; comments are left in, so they are reported where they stand. */
  const next = (): SyntaxKind => {
    for (;;) {
      const kind = scanner.scan();
      if (kind !== T.Whitespace && kind !== T.LineBreak) return kind;
    }
  };

  const meta = new WeakMap<object, Offsets>();
  const stack: Frame[] = [];
  let root: unknown;
  let rootOffset = -1;

  /** Puts a finished value into the container being filled (or makes it the document). */
  const place = (value: unknown, offset: number) => {
    const top = stack[stack.length - 1];
    if (!top) {
      root = value;
      rootOffset = offset;
    } else if (top.kind === 'array') {
      top.offsets.values.set(top.value.length, offset);
      top.value.push(value);
      top.state = 'next';
    } else {
      const key = top.key!;
      top.offsets.values.set(key, offset);
      // defineProperty so a "__proto__" key stays data and never changes the prototype.
      Object.defineProperty(top.value, key, { value, enumerable: true, writable: true, configurable: true });
      top.state = 'next';
    }
  };

  /** A value starts at the current token: a literal is placed at once, a container is opened. */
  const startValue = (kind: SyntaxKind) => {
    const offset = scanner.getTokenOffset();
    switch (kind) {
      case T.OpenBrace:
      case T.OpenBracket: {
        if (stack.length >= MAX_JSON_DEPTH) {
          throw new SyntaxFailure(`at most ${MAX_JSON_DEPTH} nested arrays and objects`, `nesting deeper than ${MAX_JSON_DEPTH}`, offset);
        }
        const offsets: Offsets = { values: new Map(), keys: new Map() };
        const frame: Frame =
          kind === T.OpenBrace
            ? { kind: 'object', at: offset, value: {}, offsets, key: undefined, state: 'firstKey' }
            : { kind: 'array', at: offset, value: [], offsets, state: 'firstValue' };
        meta.set(frame.value, offsets);
        // Placed in its parent (with its own start offset) when it closes.
        stack.push(frame);
        return;
      }
      case T.String:
        if (scanner.getTokenError() !== NO_SCAN_ERROR) failInString(offset);
        return place(scanner.getTokenValue(), offset);
      case T.Number:
        if (scanner.getTokenError() !== NO_SCAN_ERROR) fail('a complete number (digits after "." and after "e")', offset);
        return place(Number(scanner.getTokenValue()), offset);
      case T.True:
        return place(true, offset);
      case T.False:
        return place(false, offset);
      case T.Null:
        return place(null, offset);
      case T.EOF:
        if (!stack.length) throw new SyntaxFailure('a JSON value', 'an empty file', offset);
        return fail(VALUE, offset);
      default:
        return fail(VALUE, offset);
    }
  };

  const close = () => {
    const frame = stack.pop()!;
    place(frame.value, frame.at);
  };

  try {
    startValue(next());
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const kind = next();
      const offset = scanner.getTokenOffset();
      if (top.kind === 'array') {
        if (top.state === 'next') {
          if (kind === T.Comma) top.state = 'value';
          else if (kind === T.CloseBracket) close();
          else fail(`"," or "]" after array element ${top.value.length - 1}`, offset);
        } else if (kind === T.CloseBracket) {
          if (top.state === 'value') fail('a value after "," (no trailing commas)', offset);
          close();
        } else {
          startValue(kind);
        }
        continue;
      }
      switch (top.state) {
        case 'firstKey':
        case 'key':
          if (kind === T.CloseBrace && top.state === 'firstKey') {
            close();
          } else if (kind === T.String) {
            if (scanner.getTokenError() !== NO_SCAN_ERROR) failInString(offset);
            top.key = scanner.getTokenValue();
            top.offsets.keys.set(top.key, offset);
            top.state = 'colon';
          } else {
            fail(top.state === 'key' ? 'a property name in double quotes (no trailing commas)' : 'a property name in double quotes or "}"', offset);
          }
          break;
        case 'colon':
          if (kind !== T.Colon) fail(`":" after property name "${top.key}"`, offset);
          top.state = 'value';
          break;
        case 'value':
          startValue(kind);
          break;
        case 'next':
          if (kind === T.Comma) top.state = 'key';
          else if (kind === T.CloseBrace) close();
          else fail(`"," or "}" after the value of "${top.key}"`, offset);
          break;
      }
    }
    if (next() !== T.EOF) fail('end of file after the top-level value', scanner.getTokenOffset());
  } catch (e) {
    if (!(e instanceof SyntaxFailure)) throw e;
    return { ok: false, error: { message: e.message, expected: e.expected, found: e.found, position: toPosition(e.offset) } };
  }

  /** Walks the path through the parsed containers; for a key, stops at its parent object. */
  const lookup = (path: JsonPath, wantKey: boolean): number | undefined => {
    if (path.length === 0) return wantKey ? undefined : rootOffset;
    let value = root;
    for (let d = 0; d < path.length; d++) {
      const offsets = value !== null && typeof value === 'object' ? meta.get(value) : undefined;
      if (!offsets) return undefined;
      const step = Array.isArray(value) ? path[d] : String(path[d]);
      if (d === path.length - 1) return wantKey ? offsets.keys.get(String(step)) : offsets.values.get(step!);
      if (!offsets.values.has(step!)) return undefined;
      value = (value as Record<string | number, unknown>)[step!];
    }
    return undefined;
  };
  const at = (offset: number | undefined) => (offset === undefined ? undefined : toPosition(offset));
  return { ok: true, value: root, valueAt: (path) => at(lookup(path, false)), keyAt: (path) => at(lookup(path, true)) };
}

export function fmt(p: Position): string {
  return `${p.line}:${p.column}`;
}

/** `events[3].t_ms` style, as people write paths. */
export function formatJsonPath(path: JsonPath): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, idx) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(p) ? (idx ? `.${p}` : p) : `[${JSON.stringify(p)}]`)).join('');
}
