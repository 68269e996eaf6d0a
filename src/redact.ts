/**
 * The one redaction layer: every text that leaves the process (protocol messages, stderr,
 * error messages, stack traces) goes through a Redactor that knows the run's secrets.
 * Secrets are registered as soon as they are known (config load, each new access token).
 *
 * Two entry points:
 * - `redact(text)`: every whole secret, in each form it may take in a text (as it is,
 *   URL-encoded, form-encoded, JSON-escaped), and any Bearer token. For our own texts and the
 *   protocol lines, where a piece of a secret cannot stand on its own.
 * - `clip(text, max)`: a text from OUTSIDE (an error body, a header, an exception message) that
 *   may be quoted only in part: redacts the whole text, masks every piece of a secret it still
 *   holds (a server may itself quote a token cut short), and only then cuts it to `max`
 *   characters. Cutting first would leave the head of a secret quoted across the cut.
 */
const MARK = '**********';
/**
 * The shortest secret registered, and the length of a piece of a secret that no clipped text
 * may hold (an ordinary word may share a shorter run of characters with a secret).
 */
export const SECRET_PIECE = 6;
const WITHHELD = '(text withheld: it quoted a piece of a secret)';

export class Redactor {
  private readonly secrets = new Set<string>();
  /** Every form of every secret, longest first (built on first use after an add). */
  private formList: string[] | null = null;
  /** Every SECRET_PIECE-character piece of every form (built on first use after an add). */
  private pieceSet: Set<string> | null = null;

  add(secret: string | undefined | null): void {
    // Very short values would redact ordinary text; real secrets are long.
    if (typeof secret !== 'string' || secret.length < SECRET_PIECE || this.secrets.has(secret)) return;
    this.secrets.add(secret);
    this.formList = null;
    this.pieceSet = null;
  }

  redact(text: string): string {
    let out = text;
    for (const f of this.forms()) if (out.includes(f)) out = out.split(f).join(MARK);
    // Bearer tokens never registered (defence in depth).
    return out.replace(/Bearer\s+[A-Za-z0-9._!~*'()\-+/=]{8,}/g, 'Bearer **********');
  }

  /**
   * A text from outside, safe to quote: redacted whole, every piece of a secret masked, then cut
   * to at most `max` characters (plus '…' when cut). By construction no SECRET_PIECE-character
   * piece of any form of any secret is left: pieces are masked before the cut, and a cut keeps a
   * prefix, which holds no piece that the whole did not. A secret that holds the mark's own
   * characters could still meet a mark; the final check withholds such a text.
   */
  clip(text: string, max: number): string {
    const masked = this.maskPieces(this.redact(text));
    const out = cut(masked, max);
    return this.holdsPiece(out) ? WITHHELD : out;
  }

  /** Each secret as a text may carry it: as it is, URL- and form-encoded, JSON-escaped (also as PHP writes JSON). */
  private forms(): string[] {
    if (this.formList) return this.formList;
    const all = new Set<string>();
    // Every form is at least as long as its secret (add() takes none shorter than SECRET_PIECE).
    for (const s of this.secrets) for (const f of formsOf(s)) all.add(f);
    this.formList = [...all].sort((a, b) => b.length - a.length);
    return this.formList;
  }

  private pieces(): Set<string> {
    if (this.pieceSet) return this.pieceSet;
    const set = new Set<string>();
    for (const f of this.forms()) for (let i = 0; i + SECRET_PIECE <= f.length; i++) set.add(f.slice(i, i + SECRET_PIECE));
    this.pieceSet = set;
    return set;
  }

  /** Every run of characters covered by a piece of a secret, replaced by one mark. */
  private maskPieces(text: string): string {
    const pieces = this.pieces();
    if (pieces.size === 0 || text.length < SECRET_PIECE) return text;
    let out = '';
    let kept = 0; // text[kept..] not yet copied
    let coverEnd = -1; // end of the covered run being built
    for (let i = 0; i + SECRET_PIECE <= text.length; i++) {
      if (!pieces.has(text.slice(i, i + SECRET_PIECE))) continue;
      if (i > coverEnd) {
        if (coverEnd >= 0) out += MARK;
        out += text.slice(kept, i);
      }
      coverEnd = Math.max(coverEnd, i + SECRET_PIECE);
      kept = coverEnd;
    }
    if (coverEnd < 0) return text;
    return out + MARK + text.slice(kept);
  }

  private holdsPiece(text: string): boolean {
    const pieces = this.pieces();
    for (let i = 0; i + SECRET_PIECE <= text.length; i++) if (pieces.has(text.slice(i, i + SECRET_PIECE))) return true;
    return false;
  }
}

/** At most `max` characters of text (a surrogate pair is never split), with '…' when it was cut. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

function formsOf(s: string): string[] {
  const out = [s];
  const json = JSON.stringify(s).slice(1, -1);
  // PHP's json_encode (Pardot) also escapes '/' and every non-ASCII character as \uXXXX.
  const php = json.replace(/\//g, '\\/').replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  out.push(json, php);
  try {
    const uri = encodeURIComponent(s);
    // application/x-www-form-urlencoded (URLSearchParams, token request bodies) also encodes !'()~ and writes a space as '+'.
    const form = new URLSearchParams([['x', s]]).toString().slice(2);
    for (const u of [uri, form]) out.push(u, u.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()));
  } catch {
    // a lone surrogate cannot be URL-encoded: no such form
  }
  return out;
}
