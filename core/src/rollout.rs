//! Who may create or donate where. A compiled-in launch default (docs/design.md §2: creating and
//! donating open in US, GB and IE on Android only) that the server's `GET /v1/config`
//! replaces when it answers. Pure functions, no I/O.

use serde::{Deserialize, Serialize};

/// The host platform the app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum Platform {
    Android,
    Ios,
}

/// What the user is about to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum Action {
    CreateFundraiser,
    Donate,
}

/// What the app knows about its user when it asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct UserContext {
    /// ISO 3166-1 alpha-2 country code (`US`, `GB`, `IE`); case-insensitive.
    pub country: String,
    pub platform: Platform,
    /// The user's age in whole years, when the account knows it.
    pub age_years: Option<u32>,
}

/// Where one action is open: both the country and the platform must be listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Gate {
    pub countries: Vec<String>,
    pub platforms: Vec<Platform>,
}

/// The rollout part of the server's config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct RolloutConfig {
    /// The kill switch: false closes everything, everywhere.
    pub enabled: bool,
    pub create: Gate,
    pub donate: Gate,
    /// Organisers must be at least this old.
    pub min_organiser_age: u32,
}

impl Default for RolloutConfig {
    /// The launch default: US, GB and IE, Android only, organisers 18 or older.
    fn default() -> Self {
        let launch = Gate {
            countries: vec!["US".into(), "GB".into(), "IE".into()],
            platforms: vec![Platform::Android],
        };
        RolloutConfig {
            enabled: true,
            create: launch.clone(),
            donate: launch,
            min_organiser_age: 18,
        }
    }
}

/// Why an action is not open to this user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum UnavailableReason {
    /// The feature is switched off by the server.
    SwitchedOff,
    CountryNotLaunched,
    PlatformNotLaunched,
    /// The user is younger than the minimum age for this action.
    TooYoung,
    /// The action needs an age and the account has none.
    AgeUnknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum Availability {
    Available,
    Unavailable { reason: UnavailableReason },
}

/// Is `action` open to `user` under `config`? The first closed gate wins, in the order a
/// user could do something about it last: switch, country, platform, then age.
pub fn availability(config: &RolloutConfig, user: &UserContext, action: Action) -> Availability {
    let unavailable = |reason| Availability::Unavailable { reason };
    if !config.enabled {
        return unavailable(UnavailableReason::SwitchedOff);
    }
    let gate = match action {
        Action::CreateFundraiser => &config.create,
        Action::Donate => &config.donate,
    };
    let country = user.country.trim();
    if !gate
        .countries
        .iter()
        .any(|c| c.eq_ignore_ascii_case(country))
    {
        return unavailable(UnavailableReason::CountryNotLaunched);
    }
    if !gate.platforms.contains(&user.platform) {
        return unavailable(UnavailableReason::PlatformNotLaunched);
    }
    if action == Action::CreateFundraiser {
        match user.age_years {
            None => return unavailable(UnavailableReason::AgeUnknown),
            Some(age) if age < config.min_organiser_age => {
                return unavailable(UnavailableReason::TooYoung)
            }
            Some(_) => {}
        }
    }
    Availability::Available
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(country: &str, platform: Platform, age: Option<u32>) -> UserContext {
        UserContext {
            country: country.into(),
            platform,
            age_years: age,
        }
    }

    #[test]
    fn launch_default_table() {
        use Availability::*;
        use UnavailableReason::*;
        let cfg = RolloutConfig::default();
        let cases = [
            ("US", Platform::Android, Available),
            ("GB", Platform::Android, Available),
            ("IE", Platform::Android, Available),
            ("us", Platform::Android, Available),
            (
                "FR",
                Platform::Android,
                Unavailable {
                    reason: CountryNotLaunched,
                },
            ),
            (
                "",
                Platform::Android,
                Unavailable {
                    reason: CountryNotLaunched,
                },
            ),
            (
                "US",
                Platform::Ios,
                Unavailable {
                    reason: PlatformNotLaunched,
                },
            ),
            (
                "GB",
                Platform::Ios,
                Unavailable {
                    reason: PlatformNotLaunched,
                },
            ),
            (
                "FR",
                Platform::Ios,
                Unavailable {
                    reason: CountryNotLaunched,
                },
            ),
        ];
        for (country, platform, want) in cases {
            for action in [Action::CreateFundraiser, Action::Donate] {
                let got = availability(&cfg, &user(country, platform, Some(30)), action);
                assert_eq!(got, want, "{country} {platform:?} {action:?}");
            }
        }
    }

    #[test]
    fn organisers_must_be_eighteen_donors_need_no_age() {
        let cfg = RolloutConfig::default();
        let create = |age| {
            availability(
                &cfg,
                &user("US", Platform::Android, age),
                Action::CreateFundraiser,
            )
        };
        assert_eq!(create(Some(18)), Availability::Available);
        assert_eq!(
            create(Some(17)),
            Availability::Unavailable {
                reason: UnavailableReason::TooYoung
            }
        );
        assert_eq!(
            create(None),
            Availability::Unavailable {
                reason: UnavailableReason::AgeUnknown
            }
        );
        let donate = availability(&cfg, &user("US", Platform::Android, None), Action::Donate);
        assert_eq!(donate, Availability::Available);
    }

    #[test]
    fn kill_switch_closes_everything() {
        let cfg = RolloutConfig {
            enabled: false,
            ..RolloutConfig::default()
        };
        for action in [Action::CreateFundraiser, Action::Donate] {
            assert_eq!(
                availability(&cfg, &user("US", Platform::Android, Some(40)), action),
                Availability::Unavailable {
                    reason: UnavailableReason::SwitchedOff
                }
            );
        }
    }

    #[test]
    fn server_config_opens_ios_and_new_countries() {
        let mut cfg = RolloutConfig::default();
        cfg.donate.platforms.push(Platform::Ios);
        cfg.donate.countries.push("FR".into());
        assert_eq!(
            availability(&cfg, &user("FR", Platform::Ios, None), Action::Donate),
            Availability::Available
        );
        // Creation stays closed where only donating opened.
        assert_eq!(
            availability(
                &cfg,
                &user("FR", Platform::Ios, Some(30)),
                Action::CreateFundraiser
            ),
            Availability::Unavailable {
                reason: UnavailableReason::CountryNotLaunched
            }
        );
    }
}
