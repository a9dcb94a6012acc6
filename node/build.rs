//! Rebuilds the node when a file of the block explorer's page (`explorer/`, embedded in the
//! binary by rust-embed) is added, removed or changed: rust-embed's generated code only tracks
//! the files that existed when it last ran.

fn main() {
    println!("cargo:rerun-if-changed=explorer");
}
