/**
 * Which kind of catalog a --catalog file holds, so that a file of the wrong kind gets one line
 * naming the command that makes the right one, instead of a JSON syntax error (discover's output
 * is several JSON lines) or every schema path the configured-catalog validator rejects.
 *
 *   - Airbyte `read` takes a ConfiguredAirbyteCatalog: {streams: [{stream: {...}, sync_mode, ...}]}.
 *   - A Singer sync takes a Singer catalog: {streams: [{tap_stream_id, schema, metadata}]}.
 *   - `discover` prints an AirbyteMessage {type: "CATALOG", catalog: {streams: [{name, json_schema}]}},
 *     one JSON object a line, possibly after LOG lines.
 *
 * Pure: cli.ts reads the file and throws the message as CATALOG_INVALID.
 */
import { parseJsonText } from './json-text.js';

export type CatalogKind = 'airbyte-configured' | 'airbyte-discovered' | 'discover-output' | 'singer' | 'unknown';
export type CatalogProtocol = 'airbyte' | 'singer';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Several lines of JSON objects, one of them a CATALOG message: what `discover > file` writes. */
export function isDiscoverOutput(text: string): boolean {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length < 2) return false;
  let catalog = false;
  for (const line of lines) {
    const parsed = parseJsonText(line);
    if (!parsed.ok || !isObject(parsed.value) || typeof parsed.value.type !== 'string') return false;
    if (parsed.value.type === 'CATALOG') catalog = true;
  }
  return catalog;
}

/** The kind of a parsed catalog document, judged by its first stream's keys. */
export function catalogKind(value: unknown): CatalogKind {
  if (!isObject(value)) return 'unknown';
  if (value.type === 'CATALOG' && isObject(value.catalog)) return 'discover-output';
  const first = Array.isArray(value.streams) ? value.streams[0] : undefined;
  if (!isObject(first)) return 'unknown';
  if ('tap_stream_id' in first) return 'singer';
  if (isObject(first.stream) && ('sync_mode' in first || 'destination_sync_mode' in first)) return 'airbyte-configured';
  if (typeof first.name === 'string' && isObject(first.json_schema)) return 'airbyte-discovered';
  return 'unknown';
}

const NAME = 'source-pardot-export';

/** The one-line complaint for a catalog of the wrong kind for `protocol`, or null when the kind fits (or is unknown). */
export function wrongCatalogMessage(kind: CatalogKind, protocol: CatalogProtocol, flag: string, path: string): string | null {
  const file = `The --${flag} file ${path}`;
  if (protocol === 'airbyte') {
    if (kind === 'discover-output' || kind === 'airbyte-discovered') {
      return `${file} is discover's output (the streams Pardot offers), not a configured catalog (the streams to read, and how): make one with \`${NAME} catalog --config CONFIG.json > catalog.json\` (--streams a,b for some) and pass that.`;
    }
    if (kind === 'singer') {
      return `${file} is a Singer catalog, not an Airbyte configured catalog: make one with \`${NAME} catalog --config CONFIG.json > catalog.json\`, or use this one in a Singer sync: ${NAME} --config CONFIG.json --catalog ${path}.`;
    }
    return null;
  }
  if (kind === 'discover-output' || kind === 'airbyte-discovered' || kind === 'airbyte-configured') {
    const what = kind === 'airbyte-configured' ? 'an Airbyte configured catalog' : "Airbyte discover's output";
    return `${file} is ${what}, not a Singer catalog: make one with \`${NAME} catalog --format singer --config CONFIG.json > catalog.json\` (or ${NAME} --config CONFIG.json --discover)${kind === 'airbyte-configured' ? `, or use this one with the Airbyte read: ${NAME} read --config CONFIG.json --catalog ${path}` : ''}.`;
  }
  return null;
}
