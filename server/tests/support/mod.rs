//! The server test suites' harness: a reference server on 127.0.0.1:0 (SQLite in memory,
//! or a PostgreSQL schema of its own with `FUNDKIT_TEST_POSTGRES`) and JSON calls to it.
#![allow(dead_code)]

use fundkit_server::{start, Database, RunningServer, ServerOptions};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

pub struct Api {
    pub server: RunningServer,
    pub http: Client,
}

impl Api {
    pub async fn start() -> Api {
        Api::with(ServerOptions {
            auto_approve: true,
            database: Database::for_test(),
            ..ServerOptions::default()
        })
        .await
    }

    pub async fn with(options: ServerOptions) -> Api {
        Api {
            server: start(options).await.unwrap(),
            http: Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        read(req.send().await.unwrap()).await
    }

    pub async fn raw(
        &self,
        path: &str,
        token: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let resp = self
            .http
            .post(self.url(path))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        read(resp).await
    }

    pub async fn create(&self, token: &str, key: &str, draft: Value) -> (StatusCode, Value) {
        let resp = self
            .http
            .post(self.url("/v1/fundraisers"))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(&draft)
            .send()
            .await
            .unwrap();
        read(resp).await
    }

    pub async fn fundraiser(&self) -> String {
        let (status, f) = self.create("dev-organiser", "k1", draft("US", "USD")).await;
        assert_eq!(status, StatusCode::CREATED, "{f}");
        f["id"].as_str().unwrap().to_owned()
    }

    pub async fn batch(&self, token: &str, items: Vec<Value>) -> (StatusCode, Value) {
        self.call(
            Method::POST,
            "/v1/donations/batch",
            token,
            Some(json!({ "donations": items })),
        )
        .await
    }

    pub async fn total(&self, id: &str) -> (i64, u64) {
        let (_, f) = self
            .call(
                Method::GET,
                &format!("/v1/fundraisers/{id}"),
                "dev-donor-1",
                None,
            )
            .await;
        (
            f["confirmed_total"]["minor_units"].as_i64().unwrap(),
            f["donation_count"].as_u64().unwrap(),
        )
    }
}

pub async fn read(resp: reqwest::Response) -> (StatusCode, Value) {
    let (status, ct, text) = read_text(resp).await;
    assert!(
        ct.starts_with("application/json"),
        "{status} answered {ct:?}: {text}"
    );
    (status, serde_json::from_str(&text).unwrap())
}

/// An answer's status, content type and body as text (CSV, HTML, JSON).
pub async fn read_text(resp: reqwest::Response) -> (StatusCode, String, String) {
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, ct, resp.text().await.unwrap())
}

/// GET `path` with `token` (or none) as text.
pub async fn get_text(api: &Api, path: &str, token: Option<&str>) -> (StatusCode, String, String) {
    let mut req = api.http.get(api.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    read_text(req.send().await.unwrap()).await
}

pub fn draft(country: &str, currency: &str) -> Value {
    json!({
        "kind": {"type": "personal_cause", "beneficiary": "myself"},
        "category": "medical",
        "title": "Help Sam walk again",
        "story": "Physio after the accident.",
        "goal": {"minor_units": 500_000, "currency": currency},
        "country": country
    })
}

pub fn item(id: &str, fundraiser: &str, cents: i64, token: &str) -> Value {
    json!({
        "id": id, "fundraiser_id": fundraiser, "amount": {"minor_units": cents, "currency": "USD"},
        "message": "Get well", "visibility": "public", "hide_amount": false, "payment_token": token
    })
}

pub fn uuid(n: u32) -> String {
    format!("0190aaaa-0000-7000-8000-{n:012}")
}

pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<none>")
}
