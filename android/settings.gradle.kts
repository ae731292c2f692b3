// The Android build: the `fundkit` library (generated bindings + idiomatic layer + jniLibs)
// and the `app` shell. Needs the Android SDK and NDK (not on the CI machine: the JVM parts
// are built and tested by Maven in host-tests; see README).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "fundkit-android"
include(":fundkit", ":app")
