/**
 * The one redaction layer: every text that leaves the process (protocol messages, stderr,
 * error messages, stack traces) goes through a Redactor that knows the run's secrets.
 * Secrets are registered as soon as they are known (config load, each new access token).
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined | null): void {
    // Very short values would redact ordinary text; real secrets are long.
    if (typeof secret === 'string' && secret.length >= 6) this.secrets.add(secret);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) {
      if (out.includes(s)) out = out.split(s).join('**********');
      // The same secret as it appears inside a form body or URL.
      const enc = encodeURIComponent(s);
      if (enc !== s && out.includes(enc)) out = out.split(enc).join('**********');
    }
    // Bearer tokens never registered (defence in depth).
    return out.replace(/Bearer\s+[A-Za-z0-9._!~*'()\-+/=]{8,}/g, 'Bearer **********');
  }
}
