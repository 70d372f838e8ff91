import fc from 'fast-check';
import { normalisePath } from './request-path';

const unreserved = fc.constantFrom(...'abcXYZ019-._~');
const segment = fc.string({ unit: unreserved, minLength: 1, maxLength: 6 });
const plainPath = fc
  .tuple(fc.array(segment, { maxLength: 5 }), fc.boolean())
  .map(([segments, trailing]) => `/${segments.join('/')}${trailing && segments.length > 0 ? '/' : ''}`);

/** The same path with its first character escaped (`a` → `%61`): equivalent, but it takes the general path. */
function escapedTwin(path: string): string | undefined {
  const first = path[1];
  if (first === undefined || first === '/') return undefined;
  return `/%${first.charCodeAt(0).toString(16).toUpperCase()}${path.slice(2)}`;
}

describe('normalisePath', () => {
  it('reads plain paths exactly as the general algorithm does', () => {
    fc.assert(
      fc.property(plainPath, fc.constantFrom('', '?a=1', '?x=%2F..'), (path, query) => {
        const fast = normalisePath(`${path}${query}`);
        const twin = escapedTwin(path);
        const general = twin === undefined ? fast : normalisePath(`${twin}${query}`);
        expect(fast).toEqual(general);
      }),
    );
  });

  it('splits a plain path into its segments and keeps the query as received', () => {
    expect(normalisePath('/api/orders/42.json?expand=items')).toEqual({
      decoded: ['api', 'orders', '42.json'],
      encoded: ['api', 'orders', '42.json'],
      trailingSlash: false,
      lowestDepth: Number.POSITIVE_INFINITY,
      query: '?expand=items',
    });
    expect(normalisePath('/')).toMatchObject({ decoded: [], trailingSlash: true });
    expect(normalisePath('/api/')).toMatchObject({ decoded: ['api'], trailingSlash: true });
  });

  it('leaves dot segments and empty segments to the general algorithm', () => {
    expect(normalisePath('/api/./orders/../x')).toMatchObject({ decoded: ['api', 'x'], lowestDepth: 1 });
    expect(normalisePath('/api//orders')).toMatchObject({ decoded: ['api', 'orders'] });
    expect(normalisePath('/..')).toBeUndefined();
    expect(normalisePath('/api/...')).toMatchObject({ decoded: ['api', '...'] });
  });
});
