package dev.fundkit.app

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import dev.fundkit.app.ui.FundkitNavHost
import dev.fundkit.app.ui.FundkitTheme
import dev.fundkit.ktx.FundKit

class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val opening = (application as FundkitApp).fundkit
        setContent {
            FundkitTheme {
                // FundKit opens off the main thread; a spinner shows until it is ready.
                var fundkit by remember { mutableStateOf<FundKit?>(null) }
                LaunchedEffect(Unit) { fundkit = opening.await() }
                when (val ready = fundkit) {
                    null -> CircularProgressIndicator()
                    else -> FundkitNavHost(ready)
                }
            }
        }
    }
}
