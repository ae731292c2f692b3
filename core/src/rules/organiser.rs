//! The organiser's actions on a running fundraiser: edit, extend, end. Pure, shared by the
//! device (to mark a form's fields before sending) and the server (the final authority).

use serde::{Deserialize, Serialize};

use super::{
    check_range, check_text, issue, issue_with, IssueArg, IssueCode, Limits, ValidationIssue,
};
use crate::model::{Fundraiser, FundraiserEdit, FundraiserState};

/// What an organiser may do with a fundraiser now, and how long it has left: facts for the
/// shells to put into words (they must not work these out themselves).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct OrganiserActions {
    /// Whole days before it ends, rounded up; 0 unless it is running.
    pub days_left: u32,
    /// When it ends (or ended), in ms since the Unix epoch.
    pub ends_at_ms: i64,
    /// Title, story, category and goal may change (in review or running).
    pub can_edit: bool,
    /// It may run `limits.extension_step_days` longer without passing the longest run.
    pub can_extend: bool,
    /// It may be ended early (only while running: ending one still in review would
    /// publish text nobody reviewed).
    pub can_end: bool,
}

/// The organiser's possible actions on `fundraiser` at `now_ms` under `limits`: the same
/// rules the server applies (`validate_organiser_action`, `validate_extension`).
pub fn organiser_actions(
    fundraiser: &Fundraiser,
    now_ms: i64,
    limits: &Limits,
) -> OrganiserActions {
    let running = fundraiser.state == FundraiserState::Active && fundraiser.ends_at_ms > now_ms;
    OrganiserActions {
        days_left: fundraiser.days_left(now_ms),
        ends_at_ms: fundraiser.ends_at_ms,
        can_edit: validate_organiser_action(fundraiser).is_empty()
            && (running || fundraiser.state == FundraiserState::InReview),
        can_extend: running
            && super::validate_extension(
                fundraiser.duration_days,
                limits.extension_step_days,
                limits,
            )
            .is_ok(),
        can_end: running && validate_end(fundraiser).is_empty(),
    }
}

/// May the organiser still change this fundraiser? Only while in review or active; an
/// ended or removed fundraiser is final.
pub fn validate_organiser_action(fundraiser: &Fundraiser) -> Vec<ValidationIssue> {
    match fundraiser.state {
        FundraiserState::Draft | FundraiserState::InReview | FundraiserState::Active => vec![],
        FundraiserState::Ended => vec![issue(
            "state",
            IssueCode::Ended,
            "this fundraiser has ended; it can no longer change",
        )],
        FundraiserState::Removed => vec![issue(
            "state",
            IssueCode::NotActive,
            "this fundraiser was removed; it can no longer change",
        )],
    }
}

/// May the organiser end it now? Only while it runs: ending one still in review would
/// make its unreviewed title and story public (an ended fundraiser is shown to everyone).
pub fn validate_end(fundraiser: &Fundraiser) -> Vec<ValidationIssue> {
    let mut issues = validate_organiser_action(fundraiser);
    if issues.is_empty() && fundraiser.state != FundraiserState::Active {
        issues.push(issue(
            "state",
            IssueCode::NotActive,
            "only a running fundraiser can be ended; one in review is not public yet",
        ));
    }
    issues
}

/// Every issue of an edit, by field: the same text rules as a new draft, and a goal in the
/// fundraiser's own currency, within the limits, and not below what is already raised.
pub fn validate_edit(
    current: &Fundraiser,
    edit: &FundraiserEdit,
    limits: &Limits,
) -> Vec<ValidationIssue> {
    let mut issues = validate_organiser_action(current);
    if let Some(title) = &edit.title {
        check_text(
            &mut issues,
            "title",
            title,
            true,
            limits.title_max_chars,
            false,
        );
    }
    if let Some(story) = &edit.story {
        check_text(
            &mut issues,
            "story",
            story,
            true,
            limits.story_max_chars,
            true,
        );
    }
    if let Some(goal) = &edit.goal {
        if goal.currency.trim().to_ascii_uppercase() != current.goal.currency {
            issues.push(issue_with(
                "goal",
                IssueCode::CurrencyMismatch,
                &format!("the goal stays in {}", current.goal.currency),
                vec![IssueArg::Currency {
                    code: current.goal.currency.clone(),
                }],
            ));
        } else {
            check_range(
                &mut issues,
                "goal",
                goal,
                limits.goal_min_major,
                limits.goal_max_major,
            );
            if goal.minor_units < current.confirmed_total.minor_units {
                issues.push(issue_with(
                    "goal",
                    IssueCode::BelowRaised,
                    "the goal cannot be lower than what has been raised",
                    vec![IssueArg::Minimum {
                        amount: current.confirmed_total.clone(),
                    }],
                ));
            }
        }
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Beneficiary, Category, FundraiserKind};
    use crate::money::Money;

    fn running(state: FundraiserState, raised: i64) -> Fundraiser {
        Fundraiser {
            id: "fr_1".into(),
            organiser_id: "usr_o".into(),
            organiser_name: "O".into(),
            kind: FundraiserKind::PersonalCause {
                beneficiary: Beneficiary::Myself,
            },
            category: Category::Medical,
            title: "t".into(),
            story: "s".into(),
            goal: Money {
                minor_units: 500_000,
                currency: "USD".into(),
            },
            country: "US".into(),
            state,
            confirmed_total: Money {
                minor_units: raised,
                currency: "USD".into(),
            },
            donation_count: 1,
            duration_days: 30,
            created_at_ms: 0,
            ends_at_ms: 30 * 86_400_000,
            updated_at_ms: 0,
            removal_reason: None,
            viewer_is_organiser: true,
            charity: None,
            organiser_stats: None,
        }
    }

    fn codes(issues: &[ValidationIssue]) -> Vec<(&str, IssueCode)> {
        issues.iter().map(|i| (i.field.as_str(), i.code)).collect()
    }

    fn usd(minor: i64) -> Option<Money> {
        Some(Money {
            minor_units: minor,
            currency: "USD".into(),
        })
    }

    #[test]
    fn edits_follow_the_draft_rules_and_the_goal_rules() {
        let f = running(FundraiserState::Active, 30_000);
        let l = Limits::default();
        let ok = FundraiserEdit {
            title: Some("A new title".into()),
            story: Some("More to tell.\nLine two.".into()),
            category: Some(Category::Community),
            goal: usd(1_000_000),
        };
        assert_eq!(validate_edit(&f, &ok, &l), vec![]);
        // Down to exactly what is raised is fine if still above the minimum goal...
        let f_big = running(FundraiserState::Active, 20_000);
        assert_eq!(
            validate_edit(
                &f_big,
                &FundraiserEdit {
                    goal: usd(20_000),
                    ..Default::default()
                },
                &l
            ),
            vec![]
        );
        // ...below what is raised is not, nor below the minimum, nor in another currency.
        let cases: Vec<(FundraiserEdit, Vec<(&str, IssueCode)>)> = vec![
            (
                FundraiserEdit {
                    goal: usd(29_999),
                    ..Default::default()
                },
                vec![("goal", IssueCode::BelowRaised)],
            ),
            (
                FundraiserEdit {
                    goal: usd(9_999),
                    ..Default::default()
                },
                vec![
                    ("goal", IssueCode::BelowMinimum),
                    ("goal", IssueCode::BelowRaised),
                ],
            ),
            (
                FundraiserEdit {
                    goal: Some(Money {
                        minor_units: 900_000,
                        currency: "EUR".into(),
                    }),
                    ..Default::default()
                },
                vec![("goal", IssueCode::CurrencyMismatch)],
            ),
            (
                FundraiserEdit {
                    title: Some("   ".into()),
                    story: Some("x\u{7}".into()),
                    ..Default::default()
                },
                vec![
                    ("title", IssueCode::Required),
                    ("story", IssueCode::ControlCharacter),
                ],
            ),
            (
                FundraiserEdit {
                    title: Some("x".repeat(61)),
                    ..Default::default()
                },
                vec![("title", IssueCode::TooLong)],
            ),
        ];
        for (edit, want) in cases {
            assert_eq!(codes(&validate_edit(&f, &edit, &l)), want, "{edit:?}");
        }
    }

    #[test]
    fn only_a_fundraiser_in_review_or_running_changes() {
        let l = Limits::default();
        let edit = FundraiserEdit {
            title: Some("ok".into()),
            ..Default::default()
        };
        for (state, want) in [
            (FundraiserState::InReview, vec![]),
            (FundraiserState::Active, vec![]),
            (FundraiserState::Ended, vec![("state", IssueCode::Ended)]),
            (
                FundraiserState::Removed,
                vec![("state", IssueCode::NotActive)],
            ),
        ] {
            assert_eq!(
                codes(&validate_edit(&running(state, 0), &edit, &l)),
                want,
                "{state:?}"
            );
        }
    }

    #[test]
    fn organiser_actions_follow_the_state_the_clock_and_the_longest_run() {
        let l = Limits::default();
        let f = running(FundraiserState::Active, 0);
        let a = organiser_actions(&f, 0, &l);
        assert_eq!(
            a,
            OrganiserActions {
                days_left: 30,
                ends_at_ms: 30 * 86_400_000,
                can_edit: true,
                can_extend: true,
                can_end: true,
            }
        );
        // 90 days in all: no further extension.
        let mut long = f.clone();
        long.duration_days = 90;
        assert!(!organiser_actions(&long, 0, &l).can_extend);
        let mut sixty = f.clone();
        sixty.duration_days = 60;
        assert!(organiser_actions(&sixty, 0, &l).can_extend);
        // Its time is up even if the server has not ended it yet.
        let late = organiser_actions(&f, 30 * 86_400_000, &l);
        assert!(!late.can_extend && !late.can_end && !late.can_edit);
        assert_eq!(late.days_left, 0);
        // In review: edits yes, ending or extending no.
        let review = organiser_actions(&running(FundraiserState::InReview, 0), 0, &l);
        assert!(review.can_edit && !review.can_end && !review.can_extend);
        for state in [FundraiserState::Ended, FundraiserState::Removed] {
            let a = organiser_actions(&running(state, 0), 0, &l);
            assert!(!a.can_edit && !a.can_end && !a.can_extend, "{state:?}");
            assert_eq!(a.days_left, 0);
        }
    }

    #[test]
    fn only_a_running_fundraiser_is_ended() {
        assert_eq!(
            codes(&validate_end(&running(FundraiserState::InReview, 0))),
            vec![("state", IssueCode::NotActive)]
        );
        assert_eq!(validate_end(&running(FundraiserState::Active, 0)), vec![]);
        assert_eq!(
            codes(&validate_end(&running(FundraiserState::Ended, 0))),
            vec![("state", IssueCode::Ended)]
        );
    }

    #[test]
    fn days_left_rounds_up_and_is_zero_once_ended() {
        let mut f = running(FundraiserState::Active, 0);
        assert_eq!(f.days_left(0), 30);
        assert_eq!(f.days_left(29 * 86_400_000 + 1), 1);
        assert_eq!(f.days_left(30 * 86_400_000), 0);
        assert_eq!(f.days_left(i64::MAX), 0);
        f.state = FundraiserState::Ended;
        assert_eq!(f.days_left(0), 0);
    }
}
