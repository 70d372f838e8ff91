import { cacheControlFor } from './cache-control';

describe('cacheControlFor', () => {
  it('makes the entry page revalidate on every visit', () => {
    expect(cacheControlFor('/srv/spa/index.html')).toBe('no-cache');
  });

  it.each(['app.3f9a1c2b.js', 'index-BX2Q7Z4K.css', 'chunk.0123abcd.mjs', 'logo.a1b2c3d4e5.svg'])(
    'caches the fingerprinted file %s for a year',
    (name) => {
      expect(cacheControlFor(`/srv/spa/assets/${name}`)).toBe('public, max-age=31536000, immutable');
    },
  );

  it.each(['app.js', 'style.css', 'user-controller.js', 'favicon.ico', 'manifest.webmanifest'])(
    'revalidates the plainly named file %s',
    (name) => {
      expect(cacheControlFor(`/srv/spa/${name}`)).toBe('no-cache');
    },
  );
});
