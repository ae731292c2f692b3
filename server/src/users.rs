//! The reference server's development users: who they are, their country and age, and
//! whether they review fundraisers. A leaf module: authentication (`auth`) finds a caller
//! among them, storage (`store`) looks up donors' names; neither imports the other.

/// A development user of the reference server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevUser {
    pub id: &'static str,
    pub name: &'static str,
    pub token: &'static str,
    pub country: &'static str,
    pub age_years: u32,
    /// Reviews new fundraisers (approves them, or removes them with a reason).
    pub reviewer: bool,
}

pub const DEV_USERS: &[DevUser] = &[
    DevUser {
        id: "usr_organiser",
        name: "Olivia Organiser",
        token: "dev-organiser",
        country: "US",
        age_years: 34,
        reviewer: false,
    },
    DevUser {
        id: "usr_organiser_gb",
        name: "George Organiser",
        token: "dev-organiser-gb",
        country: "GB",
        age_years: 41,
        reviewer: false,
    },
    DevUser {
        id: "usr_organiser_ie",
        name: "Aoife Organiser",
        token: "dev-organiser-ie",
        country: "IE",
        age_years: 29,
        reviewer: false,
    },
    DevUser {
        id: "usr_donor_1",
        name: "Dan Donor",
        token: "dev-donor-1",
        country: "US",
        age_years: 27,
        reviewer: false,
    },
    DevUser {
        id: "usr_donor_2",
        name: "Dana Donor",
        token: "dev-donor-2",
        country: "IE",
        age_years: 52,
        reviewer: false,
    },
    DevUser {
        id: "usr_minor",
        name: "Mia Minor",
        token: "dev-minor",
        country: "US",
        age_years: 16,
        reviewer: false,
    },
    DevUser {
        id: "usr_reviewer",
        name: "Rae Reviewer",
        token: "dev-reviewer",
        country: "US",
        age_years: 40,
        reviewer: true,
    },
];

/// The development user with this id, if any.
pub fn by_id(id: &str) -> Option<&'static DevUser> {
    DEV_USERS.iter().find(|u| u.id == id)
}
