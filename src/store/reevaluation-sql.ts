/**
 * Every distinct fingerprint, one index probe each (a loose scan of hosts_fingerprint), not a read
 * of every host's entry. Both engines read it.
 */
export const DISTINCT_FINGERPRINTS = `WITH RECURSIVE f(fp) AS (
    SELECT MIN(fingerprint) FROM hosts
    UNION ALL SELECT (SELECT MIN(fingerprint) FROM hosts WHERE fingerprint > f.fp) FROM f WHERE f.fp IS NOT NULL
  ) SELECT fp FROM f WHERE fp IS NOT NULL`;
