//! Fundraiser drafts from anywhere: validation never panics, is deterministic, judges the
//! normalised draft, and names only real fields.
#![no_main]

use arbitrary::Arbitrary;
use fundkit::model::{Beneficiary, Category, FundraiserDraft, FundraiserKind};
use fundkit::rules::{normalize_draft, validate_draft, Limits};
use fundkit::Money;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    kind: u8,
    nonprofit_id: String,
    category: u8,
    title: String,
    story: String,
    goal: i64,
    currency: String,
    country: String,
}

const FIELDS: [&str; 6] = ["title", "story", "goal", "country", "nonprofit_id", "category"];

fuzz_target!(|i: Input| {
    let kind = match i.kind % 4 {
        0 => FundraiserKind::PersonalCause { beneficiary: Beneficiary::Myself },
        1 => FundraiserKind::PersonalCause { beneficiary: Beneficiary::SomeoneElse },
        2 => FundraiserKind::BusinessProject,
        _ => FundraiserKind::Nonprofit { nonprofit_id: i.nonprofit_id },
    };
    let draft = FundraiserDraft {
        kind,
        category: Category::ALL[usize::from(i.category) % Category::ALL.len()],
        title: i.title,
        story: i.story,
        goal: Money { minor_units: i.goal, currency: i.currency },
        country: i.country,
        charity: None,
    };
    let limits = Limits::default();
    let issues = validate_draft(&draft, &limits);
    assert_eq!(issues, validate_draft(&draft, &limits), "deterministic");
    let normal = normalize_draft(&draft);
    assert_eq!(normalize_draft(&normal), normal, "normalising twice is normalising once");
    assert_eq!(validate_draft(&normal, &limits), issues, "the normalised draft is what is judged");
    for issue in &issues {
        assert!(FIELDS.contains(&issue.field.as_str()), "unknown field {}", issue.field);
        assert!(!issue.message.is_empty());
    }
});
