//! A fundraiser's share links, made and read by one rule (docs/links.md).
//!
//! - On the web, and as Android App Links / iOS Universal Links:
//!   `https://{host}/f/{fundraiser id}?src={source}`, where `host` is the server's
//!   configured link host (`ServerConfig.links`), which serves the platforms' app-link files.
//! - Inside the app (a link another app hands over without a web page in between):
//!   `{app scheme}://fundraiser/{fundraiser id}?src={source}`.
//!
//! `src` says where the link was shared (`link`, `story_sticker`, `profile`); the donation
//! made after opening it records it. Anything else is refused with a typed reason
//! ([`LinkProblem`]), so an app never opens a screen for a link it does not understand,
//! and a link to another host is never followed into the app.

use url::Url;

use crate::model::DonationSource;
use crate::wire::LinkConfig;

/// Why a link does not open a fundraiser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum LinkProblem {
    /// Not a URL at all.
    NotALink,
    /// A scheme other than https and the app's own (`http:` included: links are https only).
    UnsupportedScheme,
    /// An https link to a host other than the configured one, or with a port, a user or a
    /// password in it.
    UnknownHost,
    /// The right host, but not a fundraiser's path (`/f/{id}`).
    UnknownPath,
    /// The fundraiser's id is not an id's shape.
    MalformedId,
    /// The server knows no fundraiser by that id that this user may see (in review,
    /// removed, or never existed: the server answers these alike).
    NotVisible,
}

/// What a link opens: the fundraiser, and where it was shared.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct LinkTarget {
    pub fundraiser_id: String,
    pub source: DonationSource,
}

/// A fundraiser's two links: the https one to share, the app's own for inside the app.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct ShareLinks {
    pub web: String,
    pub app: String,
}

/// Longest fundraiser id a link may carry (as `rules` allows in any request).
const MAX_ID_LEN: usize = 64;

fn id_ok(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The links of fundraiser `id`, shared from `source`.
pub fn share_links(
    config: &LinkConfig,
    id: &str,
    source: DonationSource,
) -> Result<ShareLinks, LinkProblem> {
    let id = id.trim();
    if !id_ok(id) {
        return Err(LinkProblem::MalformedId);
    }
    let src = source.as_str();
    Ok(ShareLinks {
        web: format!(
            "https://{}/f/{id}?src={src}",
            config.host.to_ascii_lowercase()
        ),
        app: format!(
            "{}://fundraiser/{id}?src={src}",
            config.app_scheme.to_ascii_lowercase()
        ),
    })
}

/// What `link` opens under `config`, or why it opens nothing. Only the shape is checked
/// here; whether the fundraiser is visible is the server's answer (`FundkitClient::open_link`).
pub fn parse_link(config: &LinkConfig, link: &str) -> Result<LinkTarget, LinkProblem> {
    let url = Url::parse(link.trim()).map_err(|_| LinkProblem::NotALink)?;
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let id = if url.scheme() == "https" {
        let host_ok = url
            .host_str()
            .is_some_and(|h| h.eq_ignore_ascii_case(config.host.trim()));
        if !host_ok
            || url.port().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(LinkProblem::UnknownHost);
        }
        match segments.as_slice() {
            ["f", id] => *id,
            _ => return Err(LinkProblem::UnknownPath),
        }
    } else if url.scheme().eq_ignore_ascii_case(config.app_scheme.trim()) {
        match (url.host_str(), segments.as_slice()) {
            (Some("fundraiser"), [id]) => *id,
            _ => return Err(LinkProblem::UnknownPath),
        }
    } else {
        return Err(LinkProblem::UnsupportedScheme);
    };
    if !id_ok(id) {
        return Err(LinkProblem::MalformedId);
    }
    let source = url
        .query_pairs()
        .find(|(k, _)| k == "src")
        .map(|(_, v)| DonationSource::parse(&v))
        .filter(|s| *s != DonationSource::Other)
        .unwrap_or(DonationSource::Link);
    Ok(LinkTarget {
        fundraiser_id: id.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> LinkConfig {
        LinkConfig {
            host: "give.example.com".into(),
            app_scheme: "fundkit".into(),
        }
    }

    fn target(id: &str, source: DonationSource) -> Result<LinkTarget, LinkProblem> {
        Ok(LinkTarget {
            fundraiser_id: id.into(),
            source,
        })
    }

    #[test]
    fn links_made_are_links_read() {
        for source in [
            DonationSource::Link,
            DonationSource::StorySticker,
            DonationSource::Profile,
        ] {
            let links = share_links(&config(), "fr_0190abc", source).unwrap();
            assert_eq!(
                parse_link(&config(), &links.web),
                target("fr_0190abc", source)
            );
            assert_eq!(
                parse_link(&config(), &links.app),
                target("fr_0190abc", source)
            );
        }
        assert_eq!(
            share_links(&config(), "fr_1", DonationSource::StorySticker).unwrap(),
            ShareLinks {
                web: "https://give.example.com/f/fr_1?src=story_sticker".into(),
                app: "fundkit://fundraiser/fr_1?src=story_sticker".into(),
            }
        );
        assert_eq!(
            share_links(&config(), "fr 1", DonationSource::Link),
            Err(LinkProblem::MalformedId)
        );
    }

    #[test]
    fn what_people_paste_still_opens() {
        for link in [
            "https://give.example.com/f/fr_1",
            "https://GIVE.example.com/f/fr_1/",
            "  https://give.example.com/f/fr_1?utm_source=x  ",
            "https://give.example.com/f/fr_1#donate",
            "https://give.example.com:443/f/fr_1", // the default port is no port
            "FUNDKIT://fundraiser/fr_1",
            "https://give.example.com/f/fr_1?src=reel", // an unknown source is a link
        ] {
            assert_eq!(
                parse_link(&config(), link),
                target("fr_1", DonationSource::Link),
                "{link}"
            );
        }
    }

    #[test]
    fn every_other_link_is_refused_with_its_reason() {
        use LinkProblem::*;
        for (link, problem) in [
            ("", NotALink),
            ("give.example.com/f/fr_1", NotALink),
            ("http://give.example.com/f/fr_1", UnsupportedScheme),
            ("javascript:alert(1)", UnsupportedScheme),
            ("intent://fundraiser/fr_1", UnsupportedScheme),
            ("https://evil.example.com/f/fr_1", UnknownHost),
            ("https://give.example.com.evil.com/f/fr_1", UnknownHost),
            ("https://give.example.com@evil.com/f/fr_1", UnknownHost),
            ("https://user@give.example.com/f/fr_1", UnknownHost),
            ("https://give.example.com:8443/f/fr_1", UnknownHost),
            ("https://give.example.com/", UnknownPath),
            ("https://give.example.com/f/", UnknownPath),
            ("https://give.example.com/f/fr_1/donate", UnknownPath),
            ("https://give.example.com/admin/fr_1", UnknownPath),
            ("fundkit://settings/fr_1", UnknownPath),
            ("fundkit://fundraiser/", UnknownPath),
            ("https://give.example.com/f/fr%201", MalformedId),
            ("https://give.example.com/f/..%2Fadmin", MalformedId),
            ("https://give.example.com/f/%C3%A9t%C3%A9", MalformedId),
            (
                &format!("https://give.example.com/f/{}", "a".repeat(65)),
                MalformedId,
            ),
        ] {
            assert_eq!(parse_link(&config(), link), Err(problem), "{link}");
        }
    }
}
