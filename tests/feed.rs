//! Following a changes feed page by page, as a client does, to prove that it never skips a
//! change: what a follower ends with must equal a fresh read from the start.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

pub struct Follower {
    /// `/v1/fundraisers/changes` or `/v1/me/donations/changes`.
    pub path: &'static str,
    pub token: &'static str,
    /// The page's list: `fundraisers` or `donations`.
    pub list: &'static str,
    /// The last state of every item seen, by id.
    pub state: BTreeMap<String, Value>,
    cursor: u64,
    /// Pages read, answers that failed (a fault, a killed instance) and were read again.
    pub pages: u64,
    pub retries: u64,
}

impl Follower {
    pub fn new(path: &'static str, token: &'static str, list: &'static str) -> Follower {
        Follower {
            path,
            token,
            list,
            state: BTreeMap::new(),
            cursor: 0,
            pages: 0,
            retries: 0,
        }
    }

    /// Reads small pages from `base` until caught up. A failed or odd answer is read again;
    /// the cursor never goes back.
    pub async fn catch_up(&mut self, http: &reqwest::Client, base: &str) {
        loop {
            let page = self.page(http, base).await;
            let next: u64 = page["next_cursor"]
                .as_str()
                .and_then(|c| c.strip_prefix('c'))
                .and_then(|n| n.parse().ok())
                .expect("a cursor");
            assert!(
                next >= self.cursor,
                "{}: the cursor went back ({} -> {next})",
                self.path,
                self.cursor
            );
            self.cursor = next;
            for v in page[self.list].as_array().expect("a list") {
                let id = v["id"].as_str().expect("an id").to_owned();
                self.state.insert(id, v.clone());
            }
            if page["has_more"] != true {
                return;
            }
        }
    }

    async fn page(&mut self, http: &reqwest::Client, base: &str) -> Value {
        let url = format!("{base}{}?since=c{}&limit=3", self.path, self.cursor);
        for _ in 0..500 {
            let answer = http.get(&url).bearer_auth(self.token).send().await;
            if let Ok(resp) = answer {
                if resp.status().is_success() {
                    if let Ok(page) = resp.json::<Value>().await {
                        if page[self.list].is_array() && page["next_cursor"].is_string() {
                            self.pages += 1;
                            return page;
                        }
                    }
                }
            }
            self.retries += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("{url}: no answer after 500 tries");
    }

    /// The ids a fresh read from the start sees otherwise than this follower: the changes
    /// it skipped.
    pub async fn skipped(&self, http: &reqwest::Client, base: &str) -> Vec<String> {
        let mut fresh = Follower::new(self.path, self.token, self.list);
        fresh.catch_up(http, base).await;
        assert!(
            !fresh.state.is_empty(),
            "{}: the feed must carry something",
            self.path
        );
        fresh
            .state
            .iter()
            .filter(|(id, v)| self.state.get(*id) != Some(v))
            .map(|(id, _)| id.clone())
            .collect()
    }
}
