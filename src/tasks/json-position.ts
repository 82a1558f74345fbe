// Where JSON text stops being JSON, as a line and column, for messages about hand-written files (task
// specs). JSON.parse names a position for some mistakes and not others ("Unexpected token"), so this
// scans the text itself. It only locates: call it after JSON.parse has failed; it builds no values.

/** 1-based line and column of a character offset in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}

class Stop {
  constructor(readonly offset: number) {}
}

const numberPattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** The offset of the first character that makes `text` invalid JSON, or -1 when it is valid. */
export function jsonErrorOffset(text: string): number {
  let at = 0;
  const stop = () => new Stop(at);
  const space = () => {
    while (at < text.length && ' \t\n\r'.includes(text[at])) at++;
  };
  const expect = (character: string) => {
    space();
    if (text[at] !== character) throw stop();
    at++;
  };
  const string = () => {
    expect('"');
    for (;;) {
      const character = text[at];
      if (character === undefined || character.charCodeAt(0) < 0x20) throw stop();
      at++;
      if (character === '"') return;
      if (character === '\\') {
        if (text[at] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(at + 1, at + 5))) throw stop();
          at += 5;
        } else if (at < text.length && '"\\/bfnrt'.includes(text[at])) at++;
        else throw stop();
      }
    }
  };
  // nesting is bounded by the caller's depth check (parseJsonText refuses more than 128 levels)
  const value = (): void => {
    space();
    const character = text[at];
    if (character === '{' || character === '[') {
      const close = character === '{' ? '}' : ']';
      at++;
      space();
      if (text[at] === close) {
        at++;
        return;
      }
      for (;;) {
        if (close === '}') {
          string();
          expect(':');
        }
        value();
        space();
        if (text[at] === ',') at++;
        else return expect(close);
      }
    }
    if (character === '"') return string();
    for (const literal of ['true', 'false', 'null'])
      if (text.startsWith(literal, at)) {
        at += literal.length;
        return;
      }
    numberPattern.lastIndex = at;
    const number = numberPattern.exec(text);
    if (!number) throw stop();
    at += number[0].length;
  };
  try {
    value();
    space();
    return at < text.length ? at : -1;
  } catch (error) {
    if (error instanceof Stop) return error.offset;
    throw error;
  }
}
