// ESM + ts-jest: on Node 20 jest needs --experimental-vm-modules (set in the npm scripts).
// ts-jest only transpiles here (isolatedModules in tsconfig.json); `npm run typecheck` checks types.
const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

/** @type {import('jest').Config} */
export default {
  maxWorkers: 2,
  testTimeout: 30000,
  projects: [
    { ...shared, displayName: 'unit', roots: ['<rootDir>/test/unit'], testMatch: ['**/*.test.ts'] },
    {
      ...shared,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration'],
      testMatch: ['**/*.test.ts'],
      // One embedded PostgreSQL for the whole run; every test file gets its own database.
      globalSetup: '<rootDir>/test/kit/globalSetup.ts',
      globalTeardown: '<rootDir>/test/kit/globalTeardown.ts',
    },
  ],
};
