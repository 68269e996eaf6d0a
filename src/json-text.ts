/**
 * JSON text from files and environment variables, with errors that never quote the text.
 *
 * Node's JSON.parse message can carry a snippet of the input ("Unexpected token 'x', "...abc" is
 * not valid JSON"), and a config file holds secrets. So a parse failure is described here from the
 * text's structure alone: what was expected, at which line and column. Nothing of the content.
 * Also: `printable`, which escapes control characters before a text reaches a terminal.
 */

export interface JsonSyntaxProblem {
  /** 1-based line and column (column in UTF-16 code units, as editors count). */
  line: number;
  column: number;
  /** What is wrong, in words that quote nothing from the text. */
  reason: string;
}

export type JsonParseResult = { ok: true; value: unknown } | { ok: false; problem: JsonSyntaxProblem };

/** A UTF-8 byte order mark some editors write first: not JSON, but harmless, so it is skipped. */
const BOM = '\uFEFF';

export function parseJsonText(text: string): JsonParseResult {
  const body = text.startsWith(BOM) ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch {
    const found =
      body.trim() === ''
        ? { offset: body.length, reason: 'nothing but white space (the text is empty)' }
        : (findJsonSyntaxError(body) ?? { offset: 0, reason: 'the text is not valid JSON' });
    const { line, column } = lineColumn(body, found.offset);
    return { ok: false, problem: { line, column, reason: found.reason } };
  }
}

/** e.g. "a missing ',' or '}' after a property value at line 3, column 17" */
export function describeProblem(p: JsonSyntaxProblem): string {
  return `${p.reason} at line ${p.line}, column ${p.column}`;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

const isWs = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/**
 * The first place where `text` stops being JSON (RFC 8259), or null when it is JSON.
 * Iterative (an explicit stack), so deep nesting cannot overflow the call stack.
 */
export function findJsonSyntaxError(text: string): { offset: number; reason: string } | null {
  const n = text.length;
  let i = 0;
  const stack: Array<'{' | '['> = [];
  const fail = (offset: number, reason: string) => ({ offset, reason });
  const skipWs = () => {
    while (i < n && isWs(text.charCodeAt(i))) i++;
  };

  // Returns an error or null; on success `i` is just past the string.
  const scanString = (): { offset: number; reason: string } | null => {
    const start = i;
    i++; // opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return null;
      }
      if (c < 0x20) return fail(i, 'a control character (such as a line break or tab) inside a string: write it escaped, e.g. \\n');
      if (c === 0x5c) {
        const e = text.charCodeAt(i + 1);
        if (e === 0x75) {
          for (let k = 2; k < 6; k++) if (!isHex(text.charCodeAt(i + k))) return fail(i, 'a \\u escape without four hex digits');
          i += 6;
          continue;
        }
        if ([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74].includes(e)) {
          i += 2;
          continue;
        }
        return fail(i, 'a backslash that starts no valid escape (write \\\\ for a backslash)');
      }
      i++;
    }
    return fail(start, 'a string that is never closed (a missing double quote)');
  };

  const scanNumber = (): { offset: number; reason: string } | null => {
    const start = i;
    if (text.charCodeAt(i) === 0x2d) i++;
    if (text.charCodeAt(i) === 0x30) i++;
    else if (isDigit(text.charCodeAt(i))) while (isDigit(text.charCodeAt(i))) i++;
    else return fail(start, 'a number that is not written as JSON requires');
    if (text.charCodeAt(i) === 0x2e) {
      i++;
      if (!isDigit(text.charCodeAt(i))) return fail(start, 'a number that is not written as JSON requires');
      while (isDigit(text.charCodeAt(i))) i++;
    }
    if (text.charCodeAt(i) === 0x65 || text.charCodeAt(i) === 0x45) {
      i++;
      if (text.charCodeAt(i) === 0x2b || text.charCodeAt(i) === 0x2d) i++;
      if (!isDigit(text.charCodeAt(i))) return fail(start, 'a number that is not written as JSON requires');
      while (isDigit(text.charCodeAt(i))) i++;
    }
    return null;
  };

  // Parses one value start (pushing containers); returns an error, or null with `i` past a
  // scalar, or just inside a container that was opened ('opened' tells which).
  let opened = false;
  const scanValueStart = (): { offset: number; reason: string } | null => {
    opened = false;
    skipWs();
    if (i >= n) return fail(i, 'the text ends where a value is expected');
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      stack.push(c === 0x7b ? '{' : '[');
      i++;
      opened = true;
      return null;
    }
    if (c === 0x22) return scanString();
    if (c === 0x2d || isDigit(c)) return scanNumber();
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return null;
      }
    }
    if (c === 0x27) return fail(i, 'a single quote where JSON requires double quotes');
    return fail(i, 'a character that cannot start a JSON value (strings need double quotes)');
  };

  const scanKey = (afterComma: boolean): { offset: number; reason: string } | null => {
    skipWs();
    if (i >= n) return fail(i, 'the text ends inside an object (a missing })');
    const c = text.charCodeAt(i);
    if (c !== 0x22) {
      if (afterComma && c === 0x7d) return fail(i, "a comma before '}' (JSON allows no trailing comma)");
      return fail(i, 'a property name that is not in double quotes');
    }
    const e = scanString();
    if (e) return e;
    skipWs();
    if (text.charCodeAt(i) !== 0x3a) return fail(i, "a missing ':' after a property name");
    i++;
    return null;
  };

  let err = scanValueStart();
  while (!err) {
    if (opened) {
      // Just inside a new container: it may be empty.
      skipWs();
      const top = stack[stack.length - 1]!;
      if (top === '{') {
        if (text.charCodeAt(i) === 0x7d) {
          stack.pop();
          i++;
        } else {
          err = scanKey(false) ?? scanValueStart();
          continue;
        }
      } else if (text.charCodeAt(i) === 0x5d) {
        stack.pop();
        i++;
      } else {
        err = scanValueStart();
        continue;
      }
      opened = false;
    }
    // After a complete value.
    skipWs();
    const top = stack[stack.length - 1];
    if (top === undefined) {
      return i < n ? fail(i, 'more text after the end of the JSON value') : null;
    }
    const c = text.charCodeAt(i);
    if (i >= n) return fail(i, top === '{' ? 'the text ends inside an object (a missing })' : 'the text ends inside a list (a missing ])');
    if (c === 0x2c) {
      i++;
      if (top === '{') err = scanKey(true) ?? scanValueStart();
      else {
        skipWs();
        if (text.charCodeAt(i) === 0x5d) return fail(i, "a comma before ']' (JSON allows no trailing comma)");
        err = scanValueStart();
      }
      continue;
    }
    if ((top === '{' && c === 0x7d) || (top === '[' && c === 0x5d)) {
      stack.pop();
      i++;
      continue;
    }
    return fail(i, top === '{' ? "a missing ',' or '}' after a property value" : "a missing ',' or ']' after a list element");
  }
  return err;
}

/**
 * The text with every control character (C0 but tab and line feed, DEL, C1) written as an escape,
 * so a value from a file or the command line cannot move the cursor or recolour a terminal.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, (ch) => {
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
