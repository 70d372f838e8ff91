/** Unit specs sit beside the code (src/**\/*.spec.ts); e2e specs live in test/e2e. */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2023',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  // The app's dynamic imports name their .ts modules by the .js they compile to (node16 resolution).
  moduleNameMapper: { '^\\./(otel-tracer|admin-plane\\.module|openapi-document|health\\.docs)\\.js$': './$1' },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
  // Only against hangs: tests wait for events (a line, a port, a state), never for a clock, and must pass on their
  // first run on a loaded 2-core machine (CI runs them beside a busy loop), where a step may take far longer than here.
  testTimeout: 180_000,
  maxWorkers: 2,
};
