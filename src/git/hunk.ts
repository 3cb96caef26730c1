/**
 * A hunk of a file change and the change itself: the types every hunk module imports (hunks.ts
 * computes and applies them, hunk-blocks.ts is their algebra, hunk-edit.ts edits one). A leaf:
 * it imports nothing.
 */

export type LineKind = ' ' | '-' | '+';

export interface HunkLine {
  kind: LineKind;
  /** The line exactly as in the file, terminator included ("a\r\n", "a\n", or "a" at EOF). */
  text: string;
}

export interface Hunk {
  /** 1-based first line in the old file (0 when the old side is empty), as in `@@ -a,b +c,d @@`. */
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: HunkLine[];
}

export type ChangeKind = 'modify' | 'create' | 'delete';

export interface FileChange {
  path: string;
  kind: ChangeKind;
  /** Old content, '' for a new file. */
  oldContent: string;
  /** New content, '' for a deleted file. */
  newContent: string;
  hunks: Hunk[];
}
