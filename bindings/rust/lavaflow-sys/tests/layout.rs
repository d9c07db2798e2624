//! The binding check's layout part for Rust: every struct lavaflow-sys declares has the size,
//! alignment and member offsets the C compiler gives the same struct (tests/layout.c, generated
//! with the declarations, compiled here against the headers in LAVAFLOW_INCLUDE_DIR or
//! pkg-config's). A member declared with the wrong type or missed shows up as a difference.
use std::env;
use std::path::PathBuf;
use std::process::Command;

fn c_layout() -> Vec<String> {
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let program = out_dir.join("lavaflow_c_layout");
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("layout.c");
    let mut compile = Command::new(env::var("CC").unwrap_or_else(|_| "cc".into()));
    compile.arg("-std=c11").arg("-o").arg(&program).arg(&source);
    match env::var("LAVAFLOW_INCLUDE_DIR") {
        Ok(dir) => {
            compile.arg(format!("-I{dir}"));
        }
        Err(_) => {
            let flags = Command::new("pkg-config").args(["--cflags", "lavaflow"]).output().expect("pkg-config");
            compile.args(String::from_utf8_lossy(&flags.stdout).split_whitespace());
        }
    }
    if cfg!(feature = "mpi") {
        let flags = Command::new("pkg-config").args(["--cflags", "ompi-c"]).output().expect("pkg-config ompi-c");
        compile.args(String::from_utf8_lossy(&flags.stdout).split_whitespace()).arg("-DLF_TEST_MPI");
    }
    let status = compile.status().expect("a C compiler (cc, or CC)");
    assert!(status.success(), "tests/layout.c did not compile");
    let output = Command::new(&program).output().expect("the layout program runs");
    String::from_utf8(output.stdout).unwrap().lines().map(str::to_owned).collect()
}

#[test]
fn every_struct_matches_the_c_layout() {
    let declared = lavaflow_sys::declared_layout();
    let c = c_layout();
    assert!(declared.len() > 300, "only {} layout facts: is generate.py's output complete?", declared.len());
    let differences: Vec<String> = declared
        .iter()
        .zip(c.iter())
        .filter(|(r, c)| r != c)
        .map(|(r, c)| format!("Rust {r} | C {c}"))
        .collect();
    assert!(differences.is_empty(), "layouts differ:\n{}", differences.join("\n"));
    assert_eq!(declared.len(), c.len(), "a struct or member is missing on one side");
}

#[test]
fn the_library_links_and_answers() {
    // SAFETY: these take no arguments and return static values.
    let (version, abi, features) =
        unsafe { (lavaflow_sys::lf_version_number(), lavaflow_sys::lf_abi_version(), lavaflow_sys::lf_build_features()) };
    assert_eq!(version, lavaflow_sys::LF_VERSION_NUMBER);
    assert_eq!(abi, lavaflow_sys::LF_ABI_VERSION);
    assert_eq!(features & !(lavaflow_sys::LF_FEATURE_NUMA | lavaflow_sys::LF_FEATURE_VULKAN), 0);
    let mut context = core::ptr::null_mut();
    // SAFETY: NULL params mean defaults; the out pointer is valid.
    assert_eq!(unsafe { lavaflow_sys::lf_context_create(core::ptr::null(), &mut context) }, lavaflow_sys::LF_OK);
    let mut info = lavaflow_sys::lf_topology_info_t { struct_size: core::mem::size_of::<lavaflow_sys::lf_topology_info_t>() as u32, ..unsafe { core::mem::zeroed() } };
    // SAFETY: a live context and an out struct with struct_size set.
    assert_eq!(unsafe { lavaflow_sys::lf_topology_get_info(context, &mut info) }, lavaflow_sys::LF_OK);
    assert!(info.pus >= 1);
    // A misuse the C API reports: a destroyed handle.
    // SAFETY: destroying a live handle, then passing the dead one, which the C API validates.
    unsafe {
        assert_eq!(lavaflow_sys::lf_context_destroy(context), lavaflow_sys::LF_OK);
        assert_eq!(lavaflow_sys::lf_topology_get_info(context, &mut info), lavaflow_sys::LF_ERR_INVALID_HANDLE);
    }
}
