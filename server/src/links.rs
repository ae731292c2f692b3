//! What makes a share link open the app (docs/links.md): the platforms' app-link files on
//! the link host, and a plain page for a browser without the app.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use fundkit::model::FundraiserState;

use crate::routes::AppState;

/// Android App Links: which app may open links to this host (checked by Android when the
/// app's intent filter says `autoVerify`).
pub(crate) async fn assetlinks(State(state): State<Arc<AppState>>) -> Response {
    let links = &state.options.app_links;
    Json(serde_json::json!([{
        "relation": ["delegate_permission/common.handle_all_urls"],
        "target": {
            "namespace": "android_app",
            "package_name": links.android_package,
            "sha256_cert_fingerprints": links.android_cert_sha256,
        }
    }]))
    .into_response()
}

/// iOS Universal Links: which apps open which paths (`/f/*`, a fundraiser) on this host.
pub(crate) async fn apple_app_site_association(State(state): State<Arc<AppState>>) -> Response {
    let ids = &state.options.app_links.apple_app_ids;
    Json(serde_json::json!({
        "applinks": {
            "details": [{
                "appIDs": ids,
                "components": [{ "/": "/f/*", "comment": "a fundraiser's share link" }]
            }]
        }
    }))
    .into_response()
}

/// `GET /f/{id}` in a browser without the app: the fundraiser's title if it is public, or
/// a plain "not available" (the same for one in review, removed or unknown). No
/// credentials: this is the public web.
pub(crate) async fn fundraiser_page(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Response {
    let public = match state.store.fundraiser(id).await {
        Ok(found) => {
            found.filter(|f| matches!(f.state, FundraiserState::Active | FundraiserState::Ended))
        }
        Err(_) => None,
    };
    let (status, body) = match public {
        Some(f) => (
            StatusCode::OK,
            format!(
                "<h1>{}</h1><p>Open this fundraiser in the app to donate.</p>",
                escape(&f.title)
            ),
        ),
        None => (
            StatusCode::NOT_FOUND,
            "<h1>This fundraiser is not available</h1>".to_owned(),
        ),
    };
    (
        status,
        [(header::CACHE_CONTROL, "no-cache")],
        Html(format!(
            "<!doctype html><html><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\"><title>FundKit</title></head>\
             <body>{body}</body></html>"
        )),
    )
        .into_response()
}

/// Text as HTML text (titles are plain text; `<`, `&` and quotes are not markup).
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
