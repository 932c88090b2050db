/**
 * Check-digit algorithms used to tell real identifiers from look-alike numbers. Inputs are
 * already normalized (ASCII digits / uppercase letters only); every function is pure.
 */

/** Luhn (mod 10) over a string of ASCII digits: payment card numbers. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * ISO 13616 check: move the first four characters to the end, letters become 10..35, the
 * resulting number mod 97 must be 1. Computed digit by digit so it never needs a bigint.
 */
export function ibanChecksumValid(iban: string): boolean {
  const n = iban.length;
  let rem = 0;
  for (let k = 0; k < n; k++) {
    const code = iban.charCodeAt((k + 4) % n);
    if (code >= 48 && code <= 57) rem = (rem * 10 + (code - 48)) % 97;
    else if (code >= 65 && code <= 90) rem = (rem * 100 + (code - 55)) % 97;
    else return false;
  }
  return rem === 1;
}

/**
 * French NIR key: 97 - (first 13 characters as a number mod 97). Corsica departments
 * "2A"/"2B" (positions 5-6) count as 19/18. `nir` is 15 characters, uppercase, no spaces.
 */
export function nirKeyValid(nir: string): boolean {
  let body = nir.slice(0, 13);
  const dept = body.slice(5, 7);
  if (dept === "2A") body = `${body.slice(0, 5)}19${body.slice(7)}`;
  else if (dept === "2B") body = `${body.slice(0, 5)}18${body.slice(7)}`;
  if (!/^\d{13}$/.test(body)) return false;
  // 13 digits stay below 2^53: plain Number arithmetic is exact.
  const key = 97 - (Number(body) % 97);
  return key === Number(nir.slice(13, 15));
}
