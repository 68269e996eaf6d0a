/**
 * Secrets as a leak hunt sees them (a second, simple implementation: not src/redact.ts): the forms
 * a text may quote a secret in, and every 6-character piece of each, searched for in an output.
 */

/** Random-looking, as Salesforce's are, with characters that each form writes differently (/ + " \ ! ~ .). */
export const LEAK_SECRETS = {
  client_secret: 'Cs7/Qx+Lm"Rt\\Wz!9pKd~Hv',
  refresh_token: '5Aep861.Tq/Zx+Vb"Nm\\Kw!3rJh',
  access_token: '00DTq7K4e9aBcD!AQ4AQFmX/kz+Lp"x\\Rt7.Wq',
  rotated_refresh_token: '5Aep861.Yq/Vv+Ux"Hs\\Gq!8nDfWm',
} as const;

export type QuoteForm = 'plain' | 'url' | 'json';
export const QUOTE_FORMS: readonly QuoteForm[] = ['plain', 'url', 'json'];

/** One quote of a secret in an error text: which secret, in which form, after how many characters. */
export interface Quote {
  kind: keyof typeof LEAK_SECRETS;
  form: QuoteForm;
  offset: number;
}
export const SECRET_KINDS = Object.keys(LEAK_SECRETS) as Array<keyof typeof LEAK_SECRETS>;

/** The text a server sends: `offset` filler characters, the secret in its form, a tail. */
export function quoteText(q: Quote): string {
  return `${'x'.repeat(q.offset)}${quoted(LEAK_SECRETS[q.kind], q.form)} was refused here`;
}

/** Every kind of secret in every form at each offset `cut + d`. */
export function quotesAround(cut: number, deltas: readonly number[]): Quote[] {
  const out: Quote[] = [];
  for (const kind of SECRET_KINDS) for (const form of QUOTE_FORMS) for (const d of deltas) out.push({ kind, form, offset: cut + d });
  return out;
}

/** The secret as a text from outside may quote it. */
export function quoted(secret: string, form: QuoteForm): string {
  if (form === 'url') return encodeURIComponent(secret);
  if (form === 'json') return JSON.stringify(secret).slice(1, -1);
  return secret;
}

/** Every form searched for: the three quoted ones, a form body's encoding, and JSON with '/' escaped. */
function searchedForms(secret: string): string[] {
  const form = new URLSearchParams([['x', secret]]).toString().slice(2);
  const json = JSON.stringify(secret).slice(1, -1);
  return [secret, encodeURIComponent(secret), form, json, json.split('/').join('\\/')];
}

/** Every 6-character piece of any form of any of the secrets that `text` holds. */
export function leakedPieces(text: string, secrets: readonly string[]): string[] {
  const found = new Set<string>();
  for (const s of secrets) {
    for (const f of searchedForms(s)) {
      for (let i = 0; i + 6 <= f.length; i++) {
        const piece = f.slice(i, i + 6);
        if (text.includes(piece)) found.add(piece);
      }
    }
  }
  return [...found];
}

/** The text of an error as anything may print it: message, stack, context, cause. */
export function errorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const ctx = (e as { context?: unknown }).context;
  return [e.message, e.stack ?? '', JSON.stringify(ctx ?? null), String((e as { cause?: unknown }).cause ?? '')].join('\n');
}
