/**
 * DICOM value representations of the strings this project writes (PS3.5 6.2): length and character repertoire.
 * Every value that reaches an SR from a model manifest or a source image is checked against its VR, so a long
 * manufacturer text or a malformed copied attribute refuses the report (or the manifest at worker start) instead of
 * producing a file that validators reject.
 *
 * Lengths count characters (PS3.5 6.2: "64 chars maximum"), which is what dciodvfy checks for the default and the
 * UTF-8 (ISO_IR 192) repertoires alike. Control characters are refused except where the VR allows them
 * (CR, LF, FF, TAB in ST/LT/UT); ESC is refused too, because we never write ISO 2022 code extensions.
 */

export type StringVr = 'AE' | 'CS' | 'SH' | 'LO' | 'PN' | 'ST' | 'LT' | 'UT' | 'UI' | 'DA' | 'TM';

const MAX_CHARS: Record<StringVr, number> = {
  AE: 16,
  CS: 16,
  SH: 16,
  LO: 64,
  PN: 64 * 3 + 2, // three component groups of 64, checked one by one below
  ST: 1024,
  LT: 10240,
  UT: 2 ** 32 - 2,
  UI: 64,
  DA: 8,
  TM: 14,
};

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_EXCEPT_TEXT = /[\x00-\x08\x0b\x0e-\x1f\x7f]/;

/** Why `value` is not a valid single value of `vr`, or undefined when it is. */
export function vrProblem(vr: StringVr, value: string): string | undefined {
  const length = [...value].length;
  if (length > MAX_CHARS[vr]) return `${length} characters; ${vr} allows at most ${MAX_CHARS[vr]}`;
  switch (vr) {
    case 'ST':
    case 'LT':
    case 'UT':
      return CONTROL_EXCEPT_TEXT.test(value) ? `control characters are not allowed in ${vr}` : undefined;
    case 'CS':
      return /^[A-Z0-9 _]*$/.test(value) ? undefined : 'CS allows only A-Z, 0-9, space and underscore';
    case 'UI':
      return /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/.test(value) ? undefined : 'not a UID (digits and dots)';
    case 'DA':
      return value === '' || /^\d{8}$/.test(value) ? undefined : 'DA is YYYYMMDD';
    case 'TM':
      return value === '' || /^\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?$/.test(value) ? undefined : 'TM is HHMMSS.FFFFFF';
    case 'PN': {
      if (CONTROL.test(value)) return 'control characters are not allowed in PN';
      if (value.includes('\\')) return 'a backslash separates values; one name is expected';
      const groups = value.split('=');
      if (groups.length > 3) return 'PN has at most three component groups';
      for (const g of groups) {
        if ([...g].length > 64) return `a PN component group has ${[...g].length} characters; at most 64`;
        if (g.split('^').length > 5) return 'a PN component group has at most five components';
      }
      return undefined;
    }
    default:
      // AE, SH, LO: one value, no backslash (the value separator), no control characters.
      if (CONTROL.test(value)) return `control characters are not allowed in ${vr}`;
      if (value.includes('\\')) return `a backslash separates values; one ${vr} value is expected`;
      return undefined;
  }
}
