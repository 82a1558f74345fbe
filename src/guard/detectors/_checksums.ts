// The check-digit algorithms the detectors verify: Luhn (payment cards) and ISO 7064 mod 97-10
// (IBANs, French NIR keys). Private to the detectors; they take already-extracted characters and do
// not look for shapes in text.

/** True when a string of decimal digits passes the Luhn checksum. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let position = digits.length - 1; position >= 0; position -= 1) {
    let value = digits.charCodeAt(position) - 48;
    if (double) {
      value *= 2;
      if (value > 9) value -= 9;
    }
    sum += value;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/**
 * The remainder modulo 97 of an alphanumeric string read as digits, with letters A..Z standing for
 * 10..35 (ISO 13616). Computed piecewise, so strings of any length stay exact.
 */
export function remainder97(characters: string): number {
  let remainder = 0;
  for (let position = 0; position < characters.length; position += 1) {
    const code = characters.charCodeAt(position);
    if (code >= 48 && code <= 57) {
      remainder = (remainder * 10 + (code - 48)) % 97;
    } else {
      remainder = (remainder * 100 + (code - 55)) % 97;
    }
  }
  return remainder;
}
