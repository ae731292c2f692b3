//! Link settings for the shipped library (`libfundkit.so`) only: smaller relocation
//! tables. A position-independent library holds one relocation per pointer in its
//! read-only data (vtables, tables of strings); packed, they take a fraction of the space
//! (README, Benchmarks: 0.33 MB on x86_64).
//!
//! - Android: lld's Android packing, understood by the loader since API 23, and identical
//!   code folding (the NDK links with lld; measured here with lld on x86_64: -70 KB).
//! - Linux (glibc): DT_RELR, understood by glibc 2.36 and later (Debian 12, Ubuntu 22.10).
//!   `FUNDKIT_NO_RELR=1` builds without it, for older systems.
//! - Apple platforms already use compact chained fixups.

fn main() {
    println!("cargo:rerun-if-env-changed=FUNDKIT_NO_RELR");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let args: &[&str] = match (os.as_str(), env.as_str()) {
        ("android", _) => &["-Wl,--pack-dyn-relocs=android", "-Wl,--icf=all"],
        ("linux", "gnu") if std::env::var_os("FUNDKIT_NO_RELR").is_none() => {
            &["-Wl,-z,pack-relative-relocs"]
        }
        _ => &[],
    };
    for arg in args {
        println!("cargo:rustc-cdylib-link-arg={arg}");
    }
}
