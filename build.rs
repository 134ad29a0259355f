//! Rebuild when the embedded dashboard bundle changes (rust-embed alone does not notice
//! files added to `assets/` after the first build).
fn main() {
    println!("cargo:rerun-if-changed=assets");
}
