/**
 * The Singer catalog: built from the stream table for --discover, and parsed from --catalog
 * (--properties) into the shared ConfiguredStream[] model.
 *
 * Selection follows the Singer spec and singer-sdk's rules, breadcrumb by breadcrumb:
 * `inclusion: unsupported` is never selected, `inclusion: automatic` always is, then `selected`,
 * then `selected-by-default`, then the parent's value. The key and the cursor are automatic.
 * https://hub.meltano.com/singer/spec#metadata
 */
import { configError } from '../errors.js';
import { withCatalogCustomFields } from '../custom-fields.js';
import { STREAMS, catalogNameOf, findStream, syncModes, type StreamDef } from '../streams.js';
import { selectFields, type ConfiguredStream, type SyncMode } from './catalog.js';

type Raw = Record<string, unknown>;
const isObj = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

export type ReplicationMethod = 'INCREMENTAL' | 'FULL_TABLE';
const METHODS: Record<string, SyncMode> = { INCREMENTAL: 'incremental', FULL_TABLE: 'full_refresh' };

export interface SingerMetadataEntry {
  breadcrumb: string[];
  metadata: Record<string, unknown>;
}

/** A JSON schema for Singer targets: our schema without the Airbyte-only `airbyte_type` keyword. */
export function singerSchema(stream: StreamDef, fieldNames?: ReadonlySet<string>): Record<string, unknown> {
  const { $schema: _s, properties, required, ...rest } = stream.jsonSchema as Raw & { properties: Record<string, Raw>; required?: string[] };
  const keep = (name: string) => !fieldNames || fieldNames.has(name);
  const props: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(properties)) {
    if (!keep(name)) continue;
    const { airbyte_type: _a, ...plain } = p;
    props[name] = plain;
  }
  return { ...rest, properties: props, ...(required ? { required: required.filter(keep) } : {}) };
}

function automatic(stream: StreamDef, field: string): boolean {
  return stream.automaticFields.includes(field);
}

/** A stream's default Singer replication method: INCREMENTAL unless it offers full refresh only. */
function defaultMethod(stream: StreamDef): ReplicationMethod {
  return stream.syncModes.includes('incremental') ? 'INCREMENTAL' : 'FULL_TABLE';
}

export function streamMetadata(stream: StreamDef): SingerMetadataEntry[] {
  // forced-replication-method FULL_TABLE where a stream offers full refresh only (no cursor, or deleted_prospects).
  const root: Record<string, unknown> = {
    inclusion: 'available',
    'selected-by-default': true,
    'table-key-properties': ['id'],
    'valid-replication-keys': stream.cursorField === null ? [] : [stream.cursorField],
  };
  if (defaultMethod(stream) === 'FULL_TABLE') root['forced-replication-method'] = 'FULL_TABLE';
  return [
    { breadcrumb: [], metadata: root },
    ...stream.fields.map((f) => ({
      breadcrumb: ['properties', f.name],
      metadata: { inclusion: automatic(stream, f.name) ? 'automatic' : 'available', 'selected-by-default': true },
    })),
  ];
}

/** The --discover answer. */
export function buildSingerCatalog(streams: readonly StreamDef[] = STREAMS): { streams: Raw[] } {
  return {
    streams: streams.map((s) => ({
      tap_stream_id: s.name,
      stream: s.name,
      schema: singerSchema(s),
      key_properties: ['id'],
      ...(s.cursorField === null ? {} : { replication_key: s.cursorField }),
      replication_method: defaultMethod(s),
      metadata: streamMetadata(s),
    })),
  };
}

function catalogError(message: string): never {
  throw configError(
    'CATALOG_INVALID',
    `${message} Build the catalog from this connector's --discover output (select streams with metadata "selected": true at breadcrumb []).`,
  );
}

/**
 * A stream entry's metadata: the stream's own (breadcrumb []) and each top-level property's
 * (['properties', name]), the only breadcrumbs selection reads. (Keyed by name, not by the
 * breadcrumb's JSON text: a catalog of every stream has ~1,100 entries, read at start-up.)
 */
function metadataMap(entry: Raw, label: string): { root: Raw | undefined; fields: Map<string, Raw> } {
  const fields = new Map<string, Raw>();
  let root: Raw | undefined;
  const md = entry.metadata;
  if (md === undefined) return { root, fields };
  if (!Array.isArray(md)) catalogError(`Stream '${label}' has 'metadata' that is not a list.`);
  for (const m of md as unknown[]) {
    if (!isObj(m) || !Array.isArray(m.breadcrumb) || !isObj(m.metadata)) {
      catalogError(`Stream '${label}' has a metadata entry without a breadcrumb list and a metadata object: ${JSON.stringify(m).slice(0, 120)}.`);
    }
    const b = m.breadcrumb as unknown[];
    // A later entry for the same breadcrumb wins, as before.
    if (b.length === 0) root = m.metadata;
    else if (b.length === 2 && b[0] === 'properties' && typeof b[1] === 'string') fields.set(b[1], m.metadata);
  }
  return { root, fields };
}

/** singer-sdk's rule for one breadcrumb, given its parent's value. */
function isSelected(md: Raw | undefined, parent: boolean): boolean {
  if (!md) return parent;
  if (md.inclusion === 'unsupported') return false;
  if (md.inclusion === 'automatic') return true;
  if (typeof md.selected === 'boolean') return md.selected;
  if (typeof md['selected-by-default'] === 'boolean') return md['selected-by-default'];
  return parent;
}

/** Parses a Singer catalog: the selected streams, in catalog order, with their selected fields. */
export function parseSingerCatalog(raw: unknown): ConfiguredStream[] {
  if (!isObj(raw) || !Array.isArray(raw.streams)) catalogError("The catalog must be a JSON object with a 'streams' list.");
  const seen = new Set<string>();
  const out: ConfiguredStream[] = [];
  for (const entry of raw.streams as unknown[]) {
    if (!isObj(entry)) catalogError('A catalog stream entry is not an object.');
    const id = typeof entry.tap_stream_id === 'string' ? entry.tap_stream_id : typeof entry.stream === 'string' ? entry.stream : undefined;
    if (!id) catalogError("A catalog stream entry has neither 'tap_stream_id' nor 'stream'.");
    const known = findStream(id);
    if (!known) catalogError(`The catalog names stream '${id}', which this connector does not have (streams: ${STREAMS.map((s) => s.name).join(', ')}).`);
    const schema = isObj(entry.schema) ? entry.schema : undefined;
    // Custom fields come with the catalog's schema (discover wrote them with x-pardot-custom).
    const def = known.kind === 'export' ? withCatalogCustomFields(known, schema && isObj(schema.properties) ? schema.properties : undefined) : known;
    if (seen.has(def.name)) catalogError(`The catalog names stream '${def.name}' twice.`);
    seen.add(def.name);

    const md = metadataMap(entry, def.name);
    const root = md.root;
    // Legacy Singer catalogs mark selection on the schema itself.
    const legacy = typeof schema?.selected === 'boolean' ? schema.selected : false;
    if (!isSelected(root, legacy)) continue;

    const method = root?.['forced-replication-method'] ?? root?.['replication-method'] ?? entry.replication_method ?? defaultMethod(def);
    const syncMode = typeof method === 'string' ? METHODS[method] : undefined;
    if (!syncMode) {
      catalogError(`Stream '${def.name}' asks for replication-method ${JSON.stringify(method)}; supported: INCREMENTAL, FULL_TABLE.`);
    }
    if (syncMode === 'incremental' && !syncModes(def).includes('incremental')) {
      catalogError(`Stream '${def.name}' supports FULL_TABLE only${def.cursorField === null ? ': Pardot offers no filter on a cursor for it' : ''}.`);
    }
    const key = root?.['replication-key'] ?? entry.replication_key;
    if (syncMode === 'incremental' && key !== undefined && key !== null && key !== '' && key !== def.cursorField) {
      catalogError(`Stream '${def.name}' asks for replication-key ${JSON.stringify(key)}; its only valid replication key is '${def.cursorField}'.`);
    }

    // Candidate fields: those in the catalog's schema (a user may trim it), else all; then metadata.
    const props = schema && isObj(schema.properties) ? new Set(Object.keys(schema.properties)) : undefined;
    // A custom field an earlier version's catalog names by its fieldId is selected by that name.
    const selected = def.fields
      .filter((f) => !props || props.has(catalogNameOf(f)) || automatic(def, f.name))
      .filter((f) => isSelected(md.fields.get(catalogNameOf(f)), true))
      .map(catalogNameOf);
    out.push({ stream: def, syncMode, fields: selectFields(def, selected) });
  }
  if (out.length === 0) {
    catalogError('The catalog selects no stream, so there is nothing to sync.');
  }
  return out;
}

/** Without --catalog: every stream, every field, incremental (singer-sdk taps do the same). */
export function allStreamsConfigured(): ConfiguredStream[] {
  return STREAMS.map((s) => ({ stream: s, syncMode: s.syncModes.includes('incremental') ? ('incremental' as const) : ('full_refresh' as const), fields: selectFields(s, undefined) }));
}
