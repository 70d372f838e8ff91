/**
 * Enough of RFC 9651 (Structured Field Values) to read DBSC's response headers as a browser does: a List whose members
 * are Items or Inner Lists, bare items being strings, tokens, integers or booleans, each with parameters.
 * Throws on anything malformed; the caller then ignores the header, as a browser would.
 */
export type BareItem = string | number | boolean | { token: string };
export interface Member {
  value: BareItem | BareItem[];
  params: Record<string, BareItem>;
}

export function parseList(input: string): Member[] {
  const parser = new Parser(input.trim());
  const members: Member[] = [];
  while (!parser.done) {
    members.push(parser.member());
    parser.spaces();
    if (parser.done) break;
    parser.expect(',');
    parser.spaces();
    if (parser.done) throw new Error('trailing comma');
  }
  return members;
}

/** A token's or string's text, for readers that do not care which of the two it was. */
export function textOf(item: BareItem | BareItem[] | undefined): string | undefined {
  if (typeof item === 'string') return item;
  return typeof item === 'object' && item !== null && !Array.isArray(item) ? item.token : undefined;
}

class Parser {
  private at = 0;
  constructor(private readonly input: string) {}

  get done(): boolean {
    return this.at >= this.input.length;
  }

  member(): Member {
    if (this.peek() !== '(') return { value: this.bareItem(), params: this.params() };
    this.at += 1;
    const items: BareItem[] = [];
    for (;;) {
      while (this.peek() === ' ') this.at += 1;
      if (this.peek() === ')') break;
      items.push(this.bareItem());
      this.params();
      if (this.peek() !== ' ' && this.peek() !== ')') throw new Error('inner list');
    }
    this.at += 1;
    return { value: items, params: this.params() };
  }

  spaces(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.at += 1;
  }

  expect(char: string): void {
    if (this.peek() !== char) throw new Error(`expected ${char}`);
    this.at += 1;
  }

  private params(): Record<string, BareItem> {
    const params: Record<string, BareItem> = {};
    while (this.peek() === ';') {
      this.at += 1;
      while (this.peek() === ' ') this.at += 1;
      const key = this.match(/^[a-z*][a-z0-9_\-.*]*/);
      if (this.peek() !== '=') {
        params[key] = true;
        continue;
      }
      this.at += 1;
      params[key] = this.bareItem();
    }
    return params;
  }

  private bareItem(): BareItem {
    const char = this.peek();
    if (char === '"') return this.string();
    if (char === '?') return this.match(/^\?[01]/) === '?1';
    if (char !== undefined && /[-0-9]/.test(char)) return Number(this.match(/^-?\d{1,15}(\.\d{1,3})?/));
    return { token: this.match(/^[A-Za-z*][\w!#$%&'*+\-.^`|~:/]*/) };
  }

  private string(): string {
    let value = '';
    for (this.at += 1; !this.done; this.at += 1) {
      const char = this.input[this.at];
      if (char === '"') {
        this.at += 1;
        return value;
      }
      if (char === '\\') {
        this.at += 1;
        const escaped = this.input[this.at];
        if (escaped !== '"' && escaped !== '\\') throw new Error('bad escape');
        value += escaped;
      } else if (char !== undefined && char >= ' ' && char <= '~') value += char;
      else throw new Error('bad string character');
    }
    throw new Error('unterminated string');
  }

  private match(pattern: RegExp): string {
    const found = pattern.exec(this.input.slice(this.at))?.[0];
    if (found === undefined) throw new Error(`unexpected input at ${this.at}`);
    this.at += found.length;
    return found;
  }

  private peek(): string | undefined {
    return this.input[this.at];
  }
}
