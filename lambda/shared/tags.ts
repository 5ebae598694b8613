// Moved to contract/tags.ts; kept so lambda/restore-* (issue 8's files) import unchanged. Remove after merge.
export * from '../../contract/tags.js';
