import { emptyDocument, revisionConflict, type SettingsDocument, type SettingsStore } from './store.js';

/**
 * A settings store in memory: nothing survives a restart. For tests and for
 * apps that rebuild settings from their own configuration at start-up.
 */
export class MemorySettingsStore implements SettingsStore {
  #document: SettingsDocument = emptyDocument();

  /** Returns a deep copy, so callers cannot change stored state by mutation. */
  async load(): Promise<SettingsDocument> {
    return structuredClone(this.#document);
  }

  /** Stores a copy of `document` if the stored revision is `expectedRevision`; PRECONDITION_FAILED otherwise. */
  async save(document: SettingsDocument, expectedRevision: number): Promise<void> {
    if (this.#document.revision !== expectedRevision) {
      throw revisionConflict('memory', this.#document.revision, expectedRevision);
    }
    this.#document = structuredClone(document);
  }
}
