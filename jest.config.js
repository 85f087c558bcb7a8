// ESM + ts-jest: on Node 20 jest needs --experimental-vm-modules (set in the npm scripts).
// ts-jest only transpiles here (isolatedModules in tsconfig.json); `npm run typecheck` checks types.
const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

// One embedded PostgreSQL for the whole run; every test file gets its own database.
const withTestPostgres = {
  globalSetup: '<rootDir>/test/kit/globalSetup.ts',
  globalTeardown: '<rootDir>/test/kit/globalTeardown.ts',
};

/**
 * `npm run test:faults` (ANTON_TEST_SUITE=faults): the fault-injection suite in test/faults/
 * (kill -9 under load, minutes of schedules, PostgreSQL stopped and restarted). It is slow and
 * timing-sensitive, so it runs alone, one file at a time, and never as part of `npm test`.
 */
const faults = {
  maxWorkers: 1,
  testTimeout: 120000,
  projects: [{ ...shared, displayName: 'faults', roots: ['<rootDir>/test/faults'], testMatch: ['**/*.test.ts'], ...withTestPostgres }],
};

/** @type {import('jest').Config} */
export default process.env.ANTON_TEST_SUITE === 'faults'
  ? faults
  : {
      maxWorkers: 2,
      testTimeout: 30000,
      projects: [
        { ...shared, displayName: 'unit', roots: ['<rootDir>/test/unit'], testMatch: ['**/*.test.ts'] },
        { ...shared, displayName: 'integration', roots: ['<rootDir>/test/integration'], testMatch: ['**/*.test.ts'], ...withTestPostgres },
      ],
    };
