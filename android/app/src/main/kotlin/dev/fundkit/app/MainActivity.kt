package dev.fundkit.app

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.compose.material3.MaterialTheme
import dev.fundkit.app.ui.FundkitNavHost

class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val fundkit = (application as FundkitApp).fundkit
        setContent { MaterialTheme { FundkitNavHost(fundkit) } }
    }
}
