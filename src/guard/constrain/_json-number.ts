// The JSON number grammar as a small table of phases, for the JSON Schema automaton: what a number may
// read next and where it may end. An integer has neither fraction nor exponent. Numeric bounds are not
// checked here (nor anywhere in constrained decoding).

/** Number phases: after '-', after a leading 0, in integer digits, after '.', in fraction digits, after 'e', after the exponent's sign, in exponent digits. */
export const SIGN = 0, ZERO = 1, INTEGER = 2, DOT = 3, FRACTION = 4, EXPONENT_MARK = 5, EXPONENT_SIGN = 6, EXPONENT = 7; // prettier-ignore

/** Per phase: true when a number may end there. */
export const numberEnds: readonly boolean[] = [false, true, true, false, true, false, false, true];

/** True for an ASCII digit. */
export const isDigit = (code: number): boolean => code >= 0x30 && code <= 0x39;

/** The phase a number starts in with `code`, or -1 when a number cannot start so. */
export function numberStart(code: number, negative: boolean): number {
  if (code === 0x2d) return negative ? SIGN : -1;
  if (code === 0x30) return ZERO;
  return isDigit(code) ? INTEGER : -1;
}

/** The phase after reading `code` in `phase`, or -1 when the number cannot continue so. */
export function nextNumberPhase(phase: number, code: number, integer: boolean): number {
  const digit = isDigit(code);
  const exponent = (code === 0x65 || code === 0x45) && !integer;
  const dot = code === 0x2e && !integer;
  switch (phase) {
    case SIGN:
      return code === 0x30 ? ZERO : digit ? INTEGER : -1;
    case ZERO:
      return dot ? DOT : exponent ? EXPONENT_MARK : -1;
    case INTEGER:
      return digit ? INTEGER : dot ? DOT : exponent ? EXPONENT_MARK : -1;
    case DOT:
      return digit ? FRACTION : -1;
    case FRACTION:
      return digit ? FRACTION : exponent ? EXPONENT_MARK : -1;
    case EXPONENT_MARK:
      return code === 0x2b || code === 0x2d ? EXPONENT_SIGN : digit ? EXPONENT : -1;
    default:
      return digit ? EXPONENT : -1;
  }
}
