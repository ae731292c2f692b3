plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
    id("org.jetbrains.kotlin.plugin.compose")
}

// The fundraising API a release build talks to: HTTPS only (the release network policy
// allows nothing else). `gradle -Pfundkit.serverUrl=https://api.example.org ...` per deployment.
val releaseServerUrl = (findProperty("fundkit.serverUrl") as String?) ?: "https://fundraisers.example.org"
require(releaseServerUrl.startsWith("https://")) { "fundkit.serverUrl must be https: $releaseServerUrl" }

android {
    namespace = "dev.fundkit.app"
    compileSdk = 35
    defaultConfig {
        applicationId = "dev.fundkit.app"
        minSdk = 24
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        // The host of share links (the server's link host, serving /.well-known/assetlinks.json
        // for this package): the App Links intent filter in AndroidManifest.xml.
        // `gradle -Pfundkit.linkHost=fundraisers.example.org ...` sets it per deployment.
        manifestPlaceholders["linkHost"] = (project.findProperty("fundkit.linkHost") as String?) ?: "fundraisers.example.org"
    }
    buildTypes {
        debug {
            // `fundkit serve` on the development machine, reached through `adb reverse
            // tcp:8080 tcp:8080`; plain HTTP to the loopback host is what the debug network
            // policy (src/debug/res/xml/network_security_config.xml) and the core allow.
            buildConfigField("String", "SERVER_URL", "\"http://127.0.0.1:8080\"")
        }
        release {
            buildConfigField("String", "SERVER_URL", "\"$releaseServerUrl\"")
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"))
        }
    }
    buildFeatures {
        compose = true
        buildConfig = true
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions { jvmTarget = "17" }
}

dependencies {
    implementation(project(":fundkit"))
    implementation(platform("androidx.compose:compose-bom:2024.12.01"))
    implementation("androidx.compose.material3:material3")
    implementation("androidx.compose.ui:ui")
    implementation("androidx.activity:activity-compose:1.9.3")
    implementation("androidx.lifecycle:lifecycle-runtime-compose:2.8.7")
    implementation("androidx.lifecycle:lifecycle-viewmodel-compose:2.8.7")
    implementation("androidx.navigation:navigation-compose:2.8.5")
    // The bank's step opens in a Custom Tab.
    implementation("androidx.browser:browser:1.8.0")
    implementation("androidx.work:work-runtime-ktx:2.10.0")
}
