/**
 * Everything one rendering of the settings page shows: the providers, the
 * default, the stats, and what the request that led here did (saved, tested,
 * refused) so its result appears next to the provider it was about.
 */
import type { CatalogStats, ProbeReport } from '@stowage/storage-core';
import type { AdminProvider } from '../providers.js';

/** What a form post did to one provider. */
export type ProviderOutcome =
  | { readonly kind: 'saved' }
  | { readonly kind: 'tested'; readonly report: ProbeReport }
  | { readonly kind: 'enabled' }
  | { readonly kind: 'disabled' }
  | {
      readonly kind: 'refused';
      readonly problems: readonly string[];
      /** What the admin typed (never secrets), to fill the form in again. */
      readonly entered: Readonly<Record<string, unknown>> | undefined;
    };

/** A page-wide notice, e.g. after the default changed. */
export interface PageNotice {
  readonly tone: 'ok' | 'bad';
  readonly title: string;
  readonly lines: readonly string[];
}

/** The input of one rendering of the settings page. */
export interface PageState {
  /** Where the admin is mounted ("" or e.g. "/admin/storage"). */
  readonly basePath: string;
  readonly csrfToken: string;
  readonly nonce: string;
  readonly providers: readonly AdminProvider[];
  readonly defaultBackend: string;
  /** Where new results go now, and why not the default when it cannot be used. */
  readonly active: { readonly name: string; readonly fallbackReason: string | undefined };
  /** Catalog counts; undefined with the reason when the storage keeps no catalog. */
  readonly stats: { readonly counts: CatalogStats } | { readonly counts: undefined; readonly reason: string };
  readonly notice: PageNotice | undefined;
  /** The provider the request was about, and what happened to it. */
  readonly focus: { readonly provider: string; readonly outcome: ProviderOutcome } | undefined;
}
