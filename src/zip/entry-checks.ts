/**
 * Pure per-entry checks: which entries of a zip will fail or be skipped, decided from the central directory
 * alone (no entry is read). listEntries reports them up front so the workflow can record the outcome without
 * starting a child; readEntry applies the same checks so nothing slips through when it is called directly.
 */
import {
  DanglingSymbolicLinkError,
  DuplicateEntryNameError,
  EntryTooLargeError,
  EntryUnreadableError,
  NestedArchiveError,
  type PipelineError,
  UnsafeEntryNameError,
  ZeroByteEntryError,
} from '../errors';
import { outcomeOf, type Reason, type ReasonType } from '../reasons';
import type { CentralEntry } from './archive';
import { formatBytes } from './archive';
import { COMPRESSION_RATIO_MIN_BYTES, type ZipLimits } from './limits';
import { Zip } from './zip-format';

/** Skip reasons (not errors): the entry is fine, it is just not something this pipeline processes. */
export const SKIP_DICOMDIR = 'DicomDir' satisfies ReasonType;
export const SKIP_SYSTEM_FILE = 'SystemFile' satisfies ReasonType;
export const SKIP_SYMBOLIC_LINK = 'SymbolicLink' satisfies ReasonType;

/** A declared reason (failed or skipped, as src/reasons.ts says) and a message for the operator. */
export type EntryProblem = Reason;

/** Longest name kept as is in listings and Temporal history; longer ones keep their start and end. */
export const MAX_DISPLAY_NAME_CHARS = 200;

/**
 * The name as shown and recorded: control characters made visible, absurdly long names shortened. The
 * entry's identity is its index, never this string.
 */
export function displayName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const visible = name.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  const chars = Array.from(visible); // by code point, so no surrogate pair is cut in half
  if (chars.length <= MAX_DISPLAY_NAME_CHARS) return visible;
  const keepEnd = 60;
  const keepStart = MAX_DISPLAY_NAME_CHARS - keepEnd - 1;
  return `${chars.slice(0, keepStart).join('')}…${chars.slice(chars.length - keepEnd).join('')}`;
}

/** Why a name is unsafe to use as a path (zip-slip and friends), or undefined when it is fine. */
export function unsafeNameReason(name: string): string | undefined {
  if (name.length === 0) return 'it has an empty name';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'its name contains control characters (such as NUL)';
  if (name.startsWith('/') || name.startsWith('\\')) return 'its name is an absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'its name starts with a drive letter';
  if (name.split(/[/\\]/).some((segment) => segment === '..')) return "its name climbs out of the zip's folder ('..')";
  return undefined;
}

function baseName(name: string): string {
  const parts = name.split(/[/\\]/);
  return parts[parts.length - 1] ?? '';
}

const ARCHIVE_EXTENSIONS = /\.(zip|zipx|7z|rar|tar|tgz|gz|bz2|xz|zst|jar|iso)$/i;
const SYSTEM_FILE_NAMES = new Set(['.ds_store', 'thumbs.db', 'desktop.ini']);

function isSystemFile(name: string): boolean {
  const base = baseName(name);
  return name.split(/[/\\]/)[0] === '__MACOSX' || base.startsWith('._') || SYSTEM_FILE_NAMES.has(base.toLowerCase());
}

/**
 * The first problem of an entry, in order of severity: security (name, size, bomb) before structure before
 * advisory flags. Undefined when the entry should be processed.
 */
export function entryProblem(
  entry: CentralEntry,
  limits: ZipLimits,
  centralDirectoryOffset: number,
): EntryProblem | undefined {
  const failed = (type: ReasonType, message: string): EntryProblem => ({ type, message });
  const shown = `"${displayName(entry.name)}"`;
  const unsafe = unsafeNameReason(entry.name);
  if (unsafe) return failed(UnsafeEntryNameError.TYPE, `${shown} was not read: ${unsafe}, which is unsafe`);
  if (entry.symlink) return linkProblem(entry.symlink, shown);
  if (entry.method !== Zip.STORED && entry.method !== Zip.DEFLATED) {
    return failed(
      EntryUnreadableError.TYPE,
      `${shown} uses compression method ${entry.method}, which is not supported; re-zip with standard deflate`,
    );
  }
  if (entry.localHeaderOffset + Zip.LOCHDR + entry.compressedSize > centralDirectoryOffset) {
    return failed(EntryUnreadableError.TYPE, `${shown} points outside the zip's content: the zip is damaged`);
  }
  if (entry.size > limits.maxEntryBytes) {
    return failed(
      EntryTooLargeError.TYPE,
      `${shown} is ${formatBytes(entry.size)}, above the per-file limit of ${formatBytes(limits.maxEntryBytes)} (CXR_ZIP_MAX_ENTRY_BYTES)`,
    );
  }
  if (entry.size >= COMPRESSION_RATIO_MIN_BYTES && entry.size > entry.compressedSize * limits.maxCompressionRatio) {
    const ratio = Math.round(entry.size / Math.max(1, entry.compressedSize));
    return failed(
      EntryTooLargeError.TYPE,
      `${shown} expands ${ratio}:1 (${formatBytes(entry.compressedSize)} to ${formatBytes(entry.size)}), ` +
        `beyond the ${limits.maxCompressionRatio}:1 allowed (CXR_ZIP_MAX_COMPRESSION_RATIO): it looks like a zip bomb`,
    );
  }
  if (entry.duplicateOf !== undefined) {
    return failed(
      DuplicateEntryNameError.TYPE,
      `${shown} appears more than once in the zip; only the first copy (entry ${entry.duplicateOf}) is processed. ` +
        'Re-create the zip so each file name is unique',
    );
  }
  if (isSystemFile(entry.name)) {
    return { type: SKIP_SYSTEM_FILE, message: `${shown} is operating-system metadata, not an image` };
  }
  if (baseName(entry.name).toUpperCase() === 'DICOMDIR') {
    return { type: SKIP_DICOMDIR, message: `${shown} is a DICOMDIR (an index of the other files), not an image` };
  }
  if (ARCHIVE_EXTENSIONS.test(entry.name)) {
    return failed(
      NestedArchiveError.TYPE,
      `${shown} is an archive inside the zip; it is not opened. Extract it and ingest its files as their own zip`,
    );
  }
  if (entry.size === 0) return failed(ZeroByteEntryError.TYPE, `${shown} is empty (0 bytes)`);
  return undefined;
}

/** A link stored as a link: never followed; what it points to decides between skipped and failed. */
function linkProblem(link: NonNullable<CentralEntry['symlink']>, shown: string): EntryProblem {
  const to = `a symbolic link to "${displayName(link.target ?? '')}"`;
  switch (link.resolves) {
    case 'in-zip':
      return {
        type: SKIP_SYMBOLIC_LINK,
        message: `${shown} is ${to}, another entry of this zip, which is processed on its own; the link is not followed`,
      };
    case 'outside':
      return {
        type: UnsafeEntryNameError.TYPE,
        message: `${shown} was not read: it is ${to}, outside the zip, which is unsafe; links are never followed`,
      };
    case 'missing':
      return {
        type: DanglingSymbolicLinkError.TYPE,
        message:
          `${shown} is ${to}, which is not in the zip: the image itself was not zipped. ` +
          'Re-create the zip storing the files, not links (for example zip without -y)',
      };
    case 'unreadable':
      return {
        type: EntryUnreadableError.TYPE,
        message: `${shown} is a symbolic link whose target cannot be read (damaged or encrypted); it was not followed`,
      };
  }
}

const ERRORS: Partial<Record<ReasonType, new (message: string) => PipelineError>> = {
  [UnsafeEntryNameError.TYPE]: UnsafeEntryNameError,
  [EntryUnreadableError.TYPE]: EntryUnreadableError,
  [EntryTooLargeError.TYPE]: EntryTooLargeError,
  [DuplicateEntryNameError.TYPE]: DuplicateEntryNameError,
  [NestedArchiveError.TYPE]: NestedArchiveError,
  [ZeroByteEntryError.TYPE]: ZeroByteEntryError,
  [DanglingSymbolicLinkError.TYPE]: DanglingSymbolicLinkError,
};

/** The typed error for a failed problem (for activities that want to fail with it); undefined for skips. */
export function problemError(problem: EntryProblem): PipelineError | undefined {
  if (outcomeOf(problem.type) !== 'failed') return undefined;
  const ErrorClass = ERRORS[problem.type];
  return ErrorClass ? new ErrorClass(problem.message) : new EntryUnreadableError(problem.message);
}
