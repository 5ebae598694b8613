// Moved to contract/errors.ts; kept so lambda/restore-* (issue 8's files) import unchanged. Remove after merge.
export * from '../../contract/errors.js';
