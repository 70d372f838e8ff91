export interface Challenge {
  /** Lower-cased: schemes are case-insensitive (RFC 9110 §11.1). */
  scheme: string;
  /** Parameter names lower-cased; the first of a repeated name wins. */
  params: Record<string, string>;
  token68?: string;
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*/;
const MAX_HEADER_LENGTH = 8192;

/**
 * RFC 9110 §11.6.1 `WWW-Authenticate`: one or more challenges, each a scheme followed by a token68 or by
 * comma-separated `name=value` parameters (token or quoted-string). Several header lines count as one list.
 * Malformed parts are skipped, never thrown on: the header comes from an upstream.
 */
export function parseChallenges(header: string | readonly string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const text = (typeof header === 'string' ? header : header.join(', ')).slice(0, MAX_HEADER_LENGTH);
  return new ChallengeReader(text).readAll();
}

class ChallengeReader {
  private at = 0;

  constructor(private readonly text: string) {}

  readAll(): Challenge[] {
    const challenges: Challenge[] = [];
    while (this.at < this.text.length) {
      this.skip(/[\s,]/);
      const scheme = this.token();
      if (!scheme) {
        this.skipPast(',');
        continue;
      }
      const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
      challenges.push(challenge);
      this.skip(/ /);
      const token68 = this.token68();
      if (token68 !== undefined) challenge.token68 = token68;
      else this.readParams(challenge.params);
    }
    return challenges;
  }

  private readParams(params: Record<string, string>): void {
    for (;;) {
      const start = this.at;
      this.skip(/[\s,]/);
      const name = this.token();
      this.skip(/[ \t]/);
      if (!name || this.text[this.at] !== '=') {
        // Not a parameter: the next challenge's scheme (or nothing) starts here.
        this.at = start;
        return;
      }
      this.at += 1;
      this.skip(/[ \t]/);
      const value = this.text[this.at] === '"' ? this.quoted() : this.token();
      params[name.toLowerCase()] ??= value;
      this.skip(/[ \t]/);
      if (this.text[this.at] !== ',') return;
    }
  }

  /** A token68 stands alone: it is followed by the end, or by a comma and the next challenge. */
  private token68(): string | undefined {
    const match = TOKEN68.exec(this.text.slice(this.at));
    if (!match) return undefined;
    const after = this.text.slice(this.at + match[0].length).trimStart();
    if (after !== '' && !after.startsWith(',')) return undefined;
    this.at += match[0].length;
    return match[0];
  }

  private token(): string {
    const start = this.at;
    while (this.at < this.text.length && TOKEN_CHAR.test(this.text.charAt(this.at))) this.at += 1;
    return this.text.slice(start, this.at);
  }

  private quoted(): string {
    let value = '';
    this.at += 1;
    while (this.at < this.text.length) {
      const char = this.text.charAt(this.at);
      this.at += 1;
      if (char === '"') return value;
      if (char === '\\' && this.at < this.text.length) {
        value += this.text.charAt(this.at);
        this.at += 1;
      } else {
        value += char;
      }
    }
    return value;
  }

  private skip(pattern: RegExp): void {
    while (this.at < this.text.length && pattern.test(this.text.charAt(this.at))) this.at += 1;
  }

  private skipPast(char: string): void {
    const next = this.text.indexOf(char, this.at);
    this.at = next === -1 ? this.text.length : next + 1;
  }
}
