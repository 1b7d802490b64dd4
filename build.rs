//! Bundles a schema snapshot into the edge worker when RECTUS_SNAPSHOT names
//! one (`rectus build --db FILE --out build/snapshot.json`), so cold
//! isolates need neither introspection nor a KV read.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(bundled_snapshot)");
    println!("cargo:rerun-if-env-changed=RECTUS_SNAPSHOT");
    let Ok(path) = std::env::var("RECTUS_SNAPSHOT") else {
        return;
    };
    let path = std::fs::canonicalize(&path).unwrap_or_else(|e| panic!("RECTUS_SNAPSHOT={path}: {e}"));
    println!("cargo:rerun-if-changed={}", path.display());
    println!("cargo:rustc-env=RECTUS_SNAPSHOT_PATH={}", path.display());
    println!("cargo:rustc-cfg=bundled_snapshot");
}
