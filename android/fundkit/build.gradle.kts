// The FundKit Android library: the UniFFI-generated Kotlin (android = true), the idiomatic
// layer in src/main/kotlin, and libfundkit.so for each ABI built with cargo-ndk.
plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

val repoRoot = rootProject.projectDir.parentFile
val jniOut = layout.buildDirectory.dir("jniLibs")

android {
    namespace = "dev.fundkit"
    compileSdk = 35
    defaultConfig {
        // Timestamps cross FFI as Long millis, so java.time (API 26) is not needed.
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
    }
    sourceSets["main"].java.srcDir(File(repoRoot, "target/bindings/kotlin-android"))
    sourceSets["main"].jniLibs.srcDir(jniOut)
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions { jvmTarget = "17" }
}

dependencies {
    // The screens' ViewModels and SavedStateHandle (on the JVM: JetBrains' multiplatform
    // lifecycle, the same API): part of the library's API, so `api`.
    api("androidx.lifecycle:lifecycle-viewmodel-savedstate:2.8.7")
    // The AAR flavour of JNA carries its own native dispatch library per ABI.
    implementation("net.java.dev.jna:jna:5.14.0@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.8.1")
    // OkHttpTransport: the shipped library has no HTTP/TLS stack of its own (the core's
    // default build); the app's OkHttpClient carries FundKit's requests.
    api("com.squareup.okhttp3:okhttp:5.5.1")
    // The generated bindings (android = true) annotate API-level checks.
    implementation("androidx.annotation:annotation:1.9.1")
}

// cargo-ndk builds the release library (DESIGN.md §4 profile) for every Android ABI, linked
// for 16 KB pages (-z max-page-size=16384, from .cargo/config.toml's [target.*-linux-android]
// rustflags); then check-page-size.sh refuses any .so with a LOAD segment aligned below 16 KB.
// The bindings are generated from an unstripped host build (stripping removes UniFFI metadata).
val cargoNdk by tasks.registering(Exec::class) {
    workingDir = repoRoot
    commandLine(
        "cargo", "ndk",
        "-t", "arm64-v8a", "-t", "armeabi-v7a", "-t", "x86_64", "-t", "x86",
        "-o", jniOut.get().asFile.path,
        "build", "--release", "-p", "fundkit",
    )
}
val checkPageSize by tasks.registering(Exec::class) {
    dependsOn(cargoNdk)
    workingDir = repoRoot
    commandLine("bash", "android/check-page-size.sh", jniOut.get().asFile.path)
}
val generateBindings by tasks.registering(Exec::class) {
    workingDir = repoRoot
    commandLine("bash", "bindings/generate.sh")
}
tasks.named("preBuild") { dependsOn(cargoNdk, checkPageSize, generateBindings) }
