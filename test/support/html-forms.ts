export interface HtmlForm {
  /** As written in the page; resolve it against the page URL. Empty means "post to this page". */
  action: string;
  method: string;
  /** Named <input> fields with their values (later duplicates win). */
  fields: Record<string, string>;
}

const FORM = /<form\b([^>]*)>([\s\S]*?)<\/form>/gi;
const INPUT = /<input\b([^>]*)>/gi;
const ATTRIBUTE = /([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;

/** Enough HTML parsing for the dev IdP's and oidc-provider's own pages; not a general parser. */
export function parseForms(html: string): HtmlForm[] {
  return [...html.matchAll(FORM)].map(([, formAttributes = '', inner = '']) => {
    const attributes = parseAttributes(formAttributes);
    const fields: Record<string, string> = {};
    for (const [, inputAttributes = ''] of inner.matchAll(INPUT)) {
      const input = parseAttributes(inputAttributes);
      if (input.name !== undefined) fields[input.name] = input.value ?? '';
    }
    return { action: attributes.action ?? '', method: (attributes.method ?? 'get').toLowerCase(), fields };
  });
}

/** oidc-provider's form_post page and the dev IdP's logout page both submit themselves this way. */
export function isAutoSubmitPage(html: string): boolean {
  return html.includes('document.forms[0].submit()');
}

function parseAttributes(source: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [, name = '', doubleQuoted, singleQuoted, bare] of source.matchAll(ATTRIBUTE)) {
    attributes[name.toLowerCase()] = decodeEntities(doubleQuoted ?? singleQuoted ?? bare ?? '');
  }
  return attributes;
}

function decodeEntities(value: string): string {
  return value.replace(/&(#x[\da-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_entity, code: string) => {
    switch (code.toLowerCase()) {
      case 'amp':
        return '&';
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default:
        return String.fromCodePoint(
          code[1] === 'x' || code[1] === 'X' ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10),
        );
    }
  });
}
