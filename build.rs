// Rebuild when a migration changes: `sqlx::migrate!` embeds the SQL at compile time.
// `SCHEMATA_BUILD_COMMIT` (set by whoever builds a release or an image, e.g.
// `SCHEMATA_BUILD_COMMIT=$(git rev-parse --short HEAD) cargo build --release`) is the
// `commit` label of `schemata_build_info`; it is read from the environment rather than from
// git so that a commit does not rebuild the crate.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-env-changed=SCHEMATA_BUILD_COMMIT");
}
