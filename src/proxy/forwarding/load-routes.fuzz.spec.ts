import fc from 'fast-check';
import { stringify } from 'yaml';
import type { RoutesResult } from './load-routes';
import { useRoutesFile } from '../../../test/support/routes';

describe('loadRoutes on any input', () => {
  const { load } = useRoutesFile();

  function settled(result: RoutesResult): void {
    if (result.ok) expect(Array.isArray(result.routes)).toBe(true);
    else expect(result.problems.length > 0 && result.problems.every((line) => typeof line === 'string' && line.startsWith('ROUTES_FILE'))).toBe(true);
  }

  const SECRET = 'hunter2-s3cr3t-value';
  const anyValue = fc.oneof(
    fc.constant(SECRET),
    fc.constant(`http://user:${SECRET}@host`),
    fc.constant(`http://host/?token=${SECRET}`),
    fc.constant(`/${SECRET}/..`),
    fc.string({ maxLength: 20 }),
    fc.webUrl(),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
  );
  const field = fc.constantFrom('path', 'upstream', 'strip_path', 'auth', 'groups', 'scopes', 'audience', 'token', 'timeout_ms', 'colour', '__proto__', 'constructor');
  const routeLike = fc.dictionary(field, anyValue, { maxKeys: 8 });
  const documents = fc.oneof(
    fc.record({ routes: fc.array(routeLike, { maxLength: 4 }) }),
    fc.dictionary(fc.string({ maxLength: 8 }), anyValue, { maxKeys: 3 }),
    fc.jsonValue({ maxDepth: 3 }),
  );

  it('answers routes or problems for any YAML document, never a throw', () => {
    fc.assert(
      fc.property(documents, (document) => {
        settled(load(stringify(document)));
      }),
      { numRuns: 300 },
    );
  });

  it('answers routes or problems for any text at all, never a throw, and never quotes the text', () => {
    const pieces = fc.constantFrom(SECRET, `*${SECRET}`, `!${SECRET} `, `|${SECRET}`, `%${SECRET}\n`, 'routes:', '\n', '  - ', 'path: ', 'upstream: ', '&a ', '*a', '!!binary ', '!custom ', '{', '}', '[', ']', ':', '- ', '? ', '%YAML 1.2\n', '---\n', '...\n', '"', "'", '|', '>', '#', '\t', '\u0000', '\ufeff');
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.array(fc.oneof(pieces, fc.string({ maxLength: 6 })), { maxLength: 40 }).map((parts) => parts.join('')));
    const warn = jest.spyOn(process, 'emitWarning');
    try {
      fc.assert(
        fc.property(text, (yaml) => {
          const result = load(yaml);
          settled(result);
          const parseProblems = result.ok ? [] : result.problems.filter((line) => line.includes('is not valid YAML'));
          expect(parseProblems.join('\n')).not.toContain(SECRET);
        }),
        { numRuns: 300 },
      );
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('never prints a value from the file in a problem line', () => {
    fc.assert(
      fc.property(fc.record({ routes: fc.array(routeLike, { minLength: 1, maxLength: 3 }) }), fc.constantFrom('block', 'flow'), (document, style) => {
        const yaml = stringify(document, style === 'flow' ? { collectionStyle: 'flow' } : {});
        const result = load(yaml);
        if (!result.ok) expect(result.problems.join('\n')).not.toContain(SECRET);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses an alias bomb quickly instead of expanding it', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, index) => {
      const name = String.fromCharCode(98 + index);
      const previous = String.fromCharCode(97 + index);
      return `${name}: &${name} [${Array.from({ length: 10 }, () => `*${previous}`).join(',')}]`;
    }), 'routes: *i'].join('\n');
    const started = performance.now();
    expect(load(bomb).ok).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
