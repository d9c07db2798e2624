//! Finds liblavaflow (and liblavaflow_mpi with the `mpi` feature), with the standard library
//! only: LAVAFLOW_LIB_DIR (a build tree or an installed lib directory; also set as the rpath,
//! so tests run without LD_LIBRARY_PATH) or the `pkg-config` command; LAVAFLOW_STATIC=1 links
//! the static library (pkg-config --static gives its dependencies).
use std::env;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=LAVAFLOW_LIB_DIR");
    println!("cargo:rerun-if-env-changed=LAVAFLOW_STATIC");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    let mpi = env::var_os("CARGO_FEATURE_MPI").is_some();
    let want_static = env::var("LAVAFLOW_STATIC").map(|v| v == "1").unwrap_or(false);
    let mut modules = vec!["lavaflow"];
    if mpi {
        modules.insert(0, "lavaflow_mpi");
    }
    if let Ok(dir) = env::var("LAVAFLOW_LIB_DIR") {
        println!("cargo:rustc-link-search=native={dir}");
        if !want_static {
            // (this crate's tests; dependents get DEP_LAVAFLOW_LIB_DIR to do the same)
            println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
            println!("cargo:lib_dir={dir}");
        }
        for module in &modules {
            println!("cargo:rustc-link-lib={}={module}", if want_static { "static" } else { "dylib" });
        }
        if want_static {
            // (the static library's own dependencies, as pkg-config --static would list them)
            for lib in ["hwloc", "stdc++", "pthread", "dl"] {
                println!("cargo:rustc-link-lib=dylib={lib}");
            }
        }
        return;
    }
    let mut args = vec!["--libs"];
    if want_static {
        args.push("--static");
    }
    args.extend(modules.iter().copied());
    let output = Command::new("pkg-config").args(&args).output();
    let flags = match output {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        Ok(out) => panic!(
            "lavaflow-sys: pkg-config cannot find {}: {}\n  install lavaflow (its lavaflow.pc must be on PKG_CONFIG_PATH), \
             or set LAVAFLOW_LIB_DIR to the directory of liblavaflow.so",
            modules.join(", "),
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(error) => panic!(
            "lavaflow-sys: cannot run pkg-config ({error}): install pkg-config, or set LAVAFLOW_LIB_DIR to the directory \
             of liblavaflow.so"
        ),
    };
    for flag in flags.split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
        } else if let Some(lib) = flag.strip_prefix("-l") {
            let kind = if want_static && lib.starts_with("lavaflow") { "static" } else { "dylib" };
            println!("cargo:rustc-link-lib={kind}={lib}");
        }
    }
}
