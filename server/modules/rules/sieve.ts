/**
 * Sieve import/export front door. Split by direction: sieve-syntax (lexer/parser), sieve-tests
 * (test → conditions), sieve-import (commands → rules, problems), sieve-export (rules → script).
 */
export { exportSieve, type SieveExportOptions, ALWAYS_CONDITION, FOLDER_NAME_PREFIX } from './sieve-export';
export {
  importSieve,
  type SieveImportOptions,
  type SieveImportResult,
  type SieveProblem,
} from './sieve-import';
