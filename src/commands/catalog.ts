/**
 * `source-pardot-export catalog`: a catalog `read` (Airbyte) or a Singer sync accepts, built from
 * the same answer `discover` gives, so it can never disagree with it and it grows with the stream
 * table (STREAMS) by itself.
 *
 * - Airbyte: a ConfiguredAirbyteCatalog. Each chosen stream as discover describes it, with
 *   sync_mode, cursor_field (the source-defined cursor, for incremental), primary_key, and
 *   destination_sync_mode append_dedup (incremental: rows of a re-read window come again, dedup on
 *   the key removes them) or overwrite (full refresh).
 * - Singer: the --discover catalog with `selected: true` on the chosen streams, `selected: false`
 *   on the others, and `replication-method` at breadcrumb [].
 *
 * Pure: cli.ts parses the flags and prints the result.
 */
import { STREAMS, type StreamDef } from '../streams.js';
import { catalogMessage } from '../protocol/airbyte.js';
import { buildSingerCatalog } from '../protocol/singer-catalog.js';
import type { SyncMode } from '../protocol/catalog.js';

export type CatalogFormat = 'airbyte' | 'singer';
export const CATALOG_FORMATS: readonly CatalogFormat[] = ['airbyte', 'singer'];
export const SYNC_MODES: readonly SyncMode[] = ['incremental', 'full_refresh'];

export interface CatalogRequest {
  /** Stream names; undefined: every stream. */
  streams?: readonly string[];
  /** undefined: incremental wherever a stream supports it. */
  syncMode?: SyncMode;
  format: CatalogFormat;
}

export interface CatalogResult {
  catalog: Record<string, unknown>;
  /** Remarks for the person (stderr), e.g. a stream that cannot sync in the mode asked for. */
  notes: string[];
}

/** A request that names something this connector does not have: a usage error for the CLI. */
export class CatalogRequestError extends Error {}

type DiscoveredStream = {
  name: string;
  supported_sync_modes: SyncMode[];
  default_cursor_field?: string[];
  source_defined_primary_key?: string[][];
  [k: string]: unknown;
};

/** Stream names from a --streams value: comma separated, blanks ignored, each known. */
export function parseStreamList(value: string, streams: readonly StreamDef[] = STREAMS): string[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0) throw new CatalogRequestError('--streams needs at least one stream name.');
  const known = new Set(streams.map((s) => s.name as string));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new CatalogRequestError(`Unknown stream(s) ${unknown.join(', ')} in --streams; streams: ${[...known].join(', ')}.`);
  }
  return [...new Set(names)];
}

function modeFor(s: DiscoveredStream, asked: SyncMode | undefined, notes: string[]): SyncMode {
  const supported = s.supported_sync_modes;
  const want = asked ?? 'incremental';
  if (supported.includes(want)) return want;
  const fallback = supported[0]!;
  if (asked) notes.push(`Stream ${s.name} does not support ${asked}; it is configured as ${fallback}.`);
  return fallback;
}

export function buildCatalog(req: CatalogRequest, streams: readonly StreamDef[] = STREAMS): CatalogResult {
  const chosen = new Set<string>(req.streams ?? streams.map((s) => s.name));
  const notes: string[] = [];
  const discovered = (catalogMessage(streams).catalog as { streams: DiscoveredStream[] }).streams;

  if (req.format === 'airbyte') {
    const configured = discovered
      .filter((s) => chosen.has(s.name))
      .map((s) => {
        const mode = modeFor(s, req.syncMode, notes);
        const pk = s.source_defined_primary_key ?? [];
        const incremental = mode === 'incremental';
        return {
          stream: s,
          sync_mode: mode,
          ...(incremental && s.default_cursor_field ? { cursor_field: s.default_cursor_field } : {}),
          destination_sync_mode: incremental ? (pk.length > 0 ? 'append_dedup' : 'append') : 'overwrite',
          ...(pk.length > 0 ? { primary_key: pk } : {}),
        };
      });
    return { catalog: { streams: configured }, notes };
  }

  const singer = buildSingerCatalog(streams) as { streams: Array<Record<string, unknown> & { tap_stream_id: string; metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }> }> };
  const byName = new Map(discovered.map((s) => [s.name, s]));
  for (const entry of singer.streams) {
    const root = entry.metadata.find((m) => m.breadcrumb.length === 0)!;
    if (!chosen.has(entry.tap_stream_id)) {
      root.metadata = { ...root.metadata, selected: false };
      continue;
    }
    const mode = modeFor(byName.get(entry.tap_stream_id)!, req.syncMode, notes);
    const method = mode === 'incremental' ? 'INCREMENTAL' : 'FULL_TABLE';
    root.metadata = { ...root.metadata, selected: true, 'replication-method': method };
    entry.replication_method = method;
  }
  return { catalog: singer, notes };
}
