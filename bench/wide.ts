/**
 * The benchmark's "wide" data profile (issue 13): prospects as a text-heavy account has them.
 * ~820 bytes a row over the 68 exportable prospect fields (issue 13 measured ~790); ~21 % of
 * cells empty; about half of the non-empty text cells quoted (most hold a comma); ~5 % of text
 * cells hold doubled quotes, a line break (LF or CRLF), emoji, CJK or accented text; dates as wall
 * times in America/Los_Angeles.
 * Values are computed from (seed, row, column) on demand, like lazyProspects, so the spot check
 * can compare any output record with its source row. Nothing in the connector knows this profile.
 */
import type { Row } from '../test/fake-pardot/csv.js';
import { hash32 } from '../test/fake-pardot/data.js';
import { FIELDS } from '../test/fake-pardot/fields.js';

export const WIDE_TZ = 'America/Los_Angeles';

const WORDS = (
  'account renewal pipeline quarterly review enterprise platform integration onboarding webinar ' +
  'campaign partner regional manager director analytics marketing operations customer success ' +
  'support engineering finance procurement healthcare logistics manufacturing retail education ' +
  'software hardware cloud security network storage compliance audit budget forecast strategy ' +
  'north south east west central global national local premium standard basic trial annual ' +
  'monthly contract invoice shipment warehouse distribution service product solution program'
).split(' ');

/** Text with a character that needs care: doubled quotes, line breaks, emoji, CJK, accents. */
const SPECIALS = [
  'He said "call me next week"',
  'Requested "Enterprise" tier, then "Pro"',
  'First line of the note\nsecond line of the note',
  'Windows note\r\nwith a CRLF break',
  'Launch 🚀 team 🎉 celebration',
  'Family plan 👨‍👩‍👧‍👦 discount',
  '東京都渋谷区神南一丁目',
  '北京市海淀区中关村大街',
  '株式会社テスト 営業部',
  'Zoë Ångström, Müller-Lüdenscheidt',
];

const FIRST = ['Ana', 'Björn', 'Chloé', 'Dmitri', 'Eun-ji', 'Fatima', 'Giulia', 'Hiroshi', 'Ibrahim', 'José', 'Maria', 'Noah', 'Olivia', 'Liam'];
const LAST = ['García', 'Nguyen', 'Smith', 'Østergaard', 'Kowalski', 'Müller', 'Dubois', 'Okafor', 'Johnson', 'Williams', 'Brown', 'Taylor'];

/** Words from (seed, i, salt): `n` words, with a comma after the first when `comma`. */
function words(seed: number, i: number, salt: number, n: number, comma: boolean): string {
  let s = '';
  for (let k = 0; k < n; k++) {
    const w = WORDS[hash32(seed, i, salt * 16 + k) % WORDS.length]!;
    s += k === 0 ? w[0]!.toUpperCase() + w.slice(1) : (comma && k === 1 ? ', ' : ' ') + w;
  }
  return s;
}

export interface WideSource {
  row(i: number): Row;
}

/**
 * Rows of the wide profile; ids are 10,000,000 + i (as lazyProspects), dates whole seconds in
 * [startMs, endMs).
 */
export function wideProspects(seed: number, startMs: number, endMs: number): WideSource {
  const s = seed >>> 0;
  const spanSec = Math.max(1, Math.floor((endMs - startMs) / 1000));
  const columns = FIELDS.prospect.filter((f) => f.exportable);
  const text = (i: number, salt: number): string | null => {
    const h = hash32(s, i, salt);
    if (h % 5 === 0) return null; // ~20 % empty
    if ((h >>> 3) % 20 === 0) return SPECIALS[(h >>> 8) % SPECIALS.length]!; // ~5 % special
    const comma = (h >>> 8) % 10 < 7; // with the other string columns (names, ids, phones), about half of all text cells are quoted
    const n = comma ? 2 : 1 + ((h >>> 12) % 5 === 0 ? 1 : 0);
    return words(s, i, salt, n, comma);
  };
  return {
    row(i: number): Row {
      const id = 10_000_000 + i;
      const updated = startMs + (hash32(s, i, 1) % spanSec) * 1000;
      const created = updated - (hash32(s, i, 2) % ((updated - startMs) / 1000 + 1)) * 1000;
      const first = FIRST[hash32(s, i, 3) % FIRST.length]!;
      const last = LAST[hash32(s, i, 4) % LAST.length]!;
      const row: Row = {};
      let salt = 100;
      for (const c of columns) {
        salt++;
        const n = c.name;
        const h = hash32(s, i, salt);
        if (n === 'id') row[n] = id;
        else if (n === 'createdAt') row[n] = new Date(created);
        else if (n === 'updatedAt') row[n] = new Date(updated);
        else if (n === 'email') row[n] = `${first.toLowerCase()}${h % 1000}@example-${h % 97}.com`;
        else if (n === 'firstName') row[n] = first;
        else if (n === 'lastName') row[n] = last;
        else if (n === 'website')
          row[n] = h % 5 === 0 ? null : `https://example-${h % 997}.com/p/${id}?src=${WORDS[h % WORDS.length]}`;
        else if (n === 'phone' || n === 'fax') row[n] = h % 5 === 0 ? null : `+1 (${200 + (h % 700)}) 555-${String(h % 10000).padStart(4, '0')}`;
        else if (n === 'zip') row[n] = h % 5 === 0 ? null : String(10000 + (h % 89999));
        else if (n.startsWith('salesforce') && n.endsWith('Id')) row[n] = h % 2 === 0 ? null : `00Q${(h * 2654435761 >>> 0).toString(36).padStart(8, '0')}${id.toString(36)}`.slice(0, 18);
        else if (c.type === 'DateTime') row[n] = h % 5 === 0 ? null : new Date(startMs + (hash32(s, i, salt + 1000) % spanSec) * 1000);
        else if (c.type === 'Boolean') row[n] = h % 5 === 0 ? null : (h & 2) === 2;
        else if (c.type === 'Integer') row[n] = h % 5 === 0 ? null : n === 'score' ? (h % 400) - 50 : 1 + (h % 900_000);
        else row[n] = text(i, salt);
      }
      return row;
    },
  };
}
