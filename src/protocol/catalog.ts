/**
 * The catalog model both protocols share: which streams to sync, in which mode, with which fields.
 * Airbyte's configured catalog and Singer's catalog are parsed into ConfiguredStream[] here.
 */
import { withCatalogCustomFields } from '../custom-fields.js';
import { configError } from '../errors.js';
import { STREAMS, findStream, selectFields, type ConfiguredStream, type SyncMode } from '../streams.js';
// The configured catalog's schema is src/input-schemas/configured-catalog.json, compiled to code at
// build time (scripts/gen-validators.mjs): no schema compilation at start-up.
import { validateConfiguredCatalog as validateConfigured } from '../generated/validators.js';

// The catalog model itself lives below the sync core (src/streams.ts); re-exported for the adapters.
export { selectFields };
export type { ConfiguredStream, SyncMode };

function catalogError(message: string): never {
  throw configError('CATALOG_INVALID', `${message} Run discover and build the configured catalog from its streams.`);
}

export function parseAirbyteCatalog(raw: unknown): ConfiguredStream[] {
  if (!validateConfigured(raw)) {
    const why = (validateConfigured.errors ?? []).map((e) => `${e.instancePath || '(catalog)'} ${e.message}`).join('; ');
    catalogError(`The configured catalog has the wrong shape: ${why}.`);
  }
  const cat = raw as {
    streams: Array<{ stream: { name: string; json_schema?: { properties?: Record<string, unknown> } }; sync_mode: string; cursor_field?: string[] }>;
  };
  const seen = new Set<string>();
  return cat.streams.map((cs) => {
    const known = findStream(cs.stream.name);
    if (!known) catalogError(`The catalog names stream '${cs.stream.name}', which this connector does not have (streams: ${STREAMS.map((s) => s.name).join(', ')}).`);
    const props = cs.stream.json_schema?.properties;
    // Custom fields come with the catalog's schema (discover wrote them with x-pardot-custom).
    const def = known.kind === 'export' ? withCatalogCustomFields(known, props) : known;
    if (seen.has(def.name)) catalogError(`The catalog names stream '${def.name}' twice.`);
    seen.add(def.name);
    if (cs.sync_mode !== 'full_refresh' && cs.sync_mode !== 'incremental') {
      catalogError(`Stream '${def.name}' asks for sync_mode '${cs.sync_mode}'; supported: full_refresh, incremental.`);
    }
    if (cs.sync_mode === 'incremental' && cs.cursor_field && cs.cursor_field.length > 0) {
      if (cs.cursor_field.length !== 1 || cs.cursor_field[0] !== def.cursorField) {
        catalogError(
          `Stream '${def.name}' asks for cursor_field ${JSON.stringify(cs.cursor_field)}; its cursor is source-defined: ["${def.cursorField}"].`,
        );
      }
    }
    if (!def.syncModes.includes(cs.sync_mode)) {
      catalogError(`Stream '${def.name}' offers sync_mode ${def.syncModes.join(', ')} only, not '${cs.sync_mode}'.`);
    }
    const fields = selectFields(def, props ? Object.keys(props) : undefined);
    return { stream: def, syncMode: cs.sync_mode, fields };
  });
}
