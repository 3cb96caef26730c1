import { languageIdOf } from './servers.js';

/**
 * What the server has been told about each file: its whole text and version (we always send the
 * full text, which servers of every sync kind accept). Versions of a file only ever grow within a
 * client, even across close and reopen, so a diagnostics report can be matched to the text it is of.
 */

export interface OpenDocument {
  /** The absolute real path. */
  key: string;
  uri: string;
  languageId: string;
  version: number;
  text: string;
  /** The publish counter when this text was sent: reports that arrive later are of this text or newer. */
  syncMark: number;
}

export type SyncStep = { kind: 'open' | 'change'; doc: OpenDocument } | { kind: 'same'; doc: OpenDocument };

export class Documents {
  private readonly open = new Map<string, OpenDocument>();
  private readonly lastVersion = new Map<string, number>();

  get(key: string): OpenDocument | undefined {
    return this.open.get(key);
  }

  all(): OpenDocument[] {
    return [...this.open.values()];
  }

  /** Records `text` as the file's content; says whether to send didOpen, didChange or nothing. */
  update(key: string, uri: string, text: string, syncMark: number): SyncStep {
    const doc = this.open.get(key);
    if (doc && doc.text === text) return { kind: 'same', doc };
    const version = (this.lastVersion.get(key) ?? 0) + 1;
    this.lastVersion.set(key, version);
    if (doc) {
      Object.assign(doc, { version, text, syncMark });
      return { kind: 'change', doc };
    }
    const created: OpenDocument = { key, uri, languageId: languageIdOf(key), version, text, syncMark };
    this.open.set(key, created);
    return { kind: 'open', doc: created };
  }

  remove(key: string): OpenDocument | undefined {
    const doc = this.open.get(key);
    this.open.delete(key);
    return doc;
  }
}
