//! With lavaflow-sys linking a library from LAVAFLOW_LIB_DIR (a build tree), this crate's own
//! tests and examples get that directory as their rpath too, so they run without
//! LD_LIBRARY_PATH. (A program of yours that uses such a library needs the same, or an
//! installed lavaflow.)
fn main() {
    println!("cargo:rerun-if-env-changed=DEP_LAVAFLOW_LIB_DIR");
    if let Ok(dir) = std::env::var("DEP_LAVAFLOW_LIB_DIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
