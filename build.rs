//! Compiles `bpf/accept.bpf.c` and generates its Rust skeleton into `OUT_DIR`.

use std::env;
use std::path::PathBuf;

use libbpf_cargo::SkeletonBuilder;

const SOURCE: &str = "bpf/accept.bpf.c";

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("accept.skel.rs");
    // libbpf-cargo adds -D__TARGET_ARCH_<arch> from CARGO_CFG_TARGET_ARCH itself;
    // -I bpf finds accept.h and vmlinux_min.h.
    SkeletonBuilder::new()
        .source(SOURCE)
        .clang_args(["-I", "bpf", "-Wall", "-Wno-unused-function"])
        .build_and_generate(&out)
        .unwrap_or_else(|err| panic!("building {SOURCE}: {err:#}"));
    println!("cargo:rerun-if-changed=bpf");
}
