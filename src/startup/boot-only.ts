/**
 * Start-up reads its configuration once: the environment and route-file schemas, zod and yaml with them, are about
 * 4 MB of heap the request process never runs again, yet Node's module cache would keep them for its lifetime. `use`
 * gets the modules `load` brings in (with `require`, inside it), and afterwards every module loaded first by that call
 * leaves the cache, so the collector can take them. Call it once the app's own modules are loaded (main.ts imports
 * app.ts first): a module the app still uses must not be loaded first here, or it would be loaded twice.
 */
export function bootOnly<M, T>(load: () => M, use: (loaded: M) => T): T {
  const cache = require.cache;
  const before = new Set(Object.keys(cache));
  const result = use(load());
  const loaded = new Set(Object.keys(cache).filter((key) => !before.has(key)));
  for (const key of loaded) Reflect.deleteProperty(cache, key);
  for (const module of Object.values(cache)) {
    if (module?.children.some((child) => loaded.has(child.filename))) module.children = module.children.filter((child) => !loaded.has(child.filename));
  }
  // zod keeps its registry and settings on globalThis, beyond any module.
  if ([...loaded].some((key) => key.includes('/node_modules/zod/'))) {
    for (const name of ['__zod_globalRegistry', '__zod_globalConfig']) Reflect.deleteProperty(globalThis, name);
  }
  return result;
}
