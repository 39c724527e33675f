//! Marks a build without optimisation (`OPT_LEVEL` 0, the dev profile of a crate that depends on
//! this one without a profile override) with `cfg(potential_unoptimized)`, so the kernels can say
//! once, on first use, why they run about a hundred times slower than they should.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(potential_unoptimized)");
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var("OPT_LEVEL").is_ok_and(|v| v == "0") {
        println!("cargo::rustc-cfg=potential_unoptimized");
    }
}
