//! The `uniffi-bindgen` CLI, pinned to the same UniFFI version as the core so that the
//! generated Kotlin and Swift always match the scaffolding compiled into `libfundkit`.
fn main() {
    uniffi::uniffi_bindgen_main()
}
