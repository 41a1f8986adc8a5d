// `sqlx::migrate!` embeds the migration files at compile time; without this, adding a file
// would not rebuild the crate and the binary would silently lack the new migration.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
