/**
 * Cache-Control by file name. A name carrying a content hash (`app.3f2a1b9c.js`,
 * `chunk-0a1b2c3d4e.css`) changes whenever its content does, so browsers may keep it for a year
 * without asking again; every other file must be revalidated (`no-cache` still lets the browser
 * use its copy after a 304). The rule is a `.` or `-` followed by 8 to 64 lowercase hex digits
 * right before the extension: narrow on purpose, because a false positive pins stale content
 * in browsers for a year.
 */
export const FINGERPRINT_PATTERN = '[.-][0-9a-f]{8,64}\\.[A-Za-z0-9]+$'
const FINGERPRINTED = new RegExp(FINGERPRINT_PATTERN)

export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable'
export const REVALIDATE_CACHE_CONTROL = 'no-cache'

export const isFingerprinted = (fileName: string): boolean => FINGERPRINTED.test(fileName)

export const cacheControlFor = (fileName: string): string =>
  isFingerprinted(fileName) ? IMMUTABLE_CACHE_CONTROL : REVALIDATE_CACHE_CONTROL
