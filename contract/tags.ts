/**
 * Tags and names that mark the instances this project creates. The IAM policies (lib/) use the same constants, so
 * the guard in IAM and the checks in code cannot drift apart.
 */
export const TAG_PURPOSE = 'authdb-dr:purpose';
export const TAG_EXECUTION = 'authdb-dr:execution';
export const TAG_REQUESTED_AT = 'authdb-dr:requested-at';
export const TAG_RESTORED_FROM = 'authdb-dr:restored-from';
export const TAG_STATUS = 'authdb-dr:status';

export const PURPOSE_DRILL = 'drill-scratch';
export const PURPOSE_RESTORED = 'restored';

/** Every drill scratch instance's identifier starts with this. */
export const DRILL_PREFIX = 'drill-';
