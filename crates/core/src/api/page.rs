//! The one cursor pager every list call goes through: `after` = the page's `last_id`, or its last
//! item's id where the endpoint gives none. A server that says `has_more` without moving the
//! cursor, or that never stops saying it (past a page budget, or past [`MAX_PAGING`] of wall
//! time), is refused by name instead of being asked for pages forever.

use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::pace::Pace;
use super::retry::Policy;
use super::send::fetch;
use crate::error::{Error, Result};
use crate::platform::{Credential, Method, Platform, Request};

/// An item of a list endpoint: its `id` is the cursor of the next page.
pub trait Listed {
    fn id(&self) -> &str;
}

/// Implements [`Listed`] for types whose `id` field is their cursor.
macro_rules! listed_by_id {
    ($($t:ty),+) => {
        $(impl $crate::api::page::Listed for $t {
            fn id(&self) -> &str {
                &self.id
            }
        })+
    };
}
pub(crate) use listed_by_id;

/// One page of a list endpoint, in the shape every OpenAI list shares.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub has_more: bool,
    /// Given by some endpoints (checkpoint permissions); the others page by the last item's id.
    #[serde(default)]
    pub last_id: Option<String>,
}

/// What the caller wants after seeing a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    More,
    Stop,
}

/// The longest one list call may page for, whatever its page budget: a real list of that many
/// pages is read in seconds, so only a server that drips pages slowly (each one answered just
/// within the timeout) gets here.
pub const MAX_PAGING: Duration = Duration::from_secs(600);

/// What reaching the page budget (or [`MAX_PAGING`]) means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtBudget {
    /// An error naming the endpoint: the list cannot be that long on a real API.
    Refuse,
    /// Stop quietly with what was read: for lists that only feed progress lines.
    Stop,
}

/// One list call: the request of its first page, how persistently each page is fetched, and how
/// many pages it may follow.
#[derive(Debug, Clone)]
pub struct Pager<'a> {
    request: Request,
    policy: Policy,
    budget: u32,
    at_budget: AtBudget,
    pace: Option<&'a Pace>,
}

impl<'a> Pager<'a> {
    /// `GET path`, `page_size` items a page (the `limit` query, first), at most `budget` pages,
    /// each fetched by the SDK retry policy.
    pub fn get(
        path: impl Into<String>,
        credential: Credential,
        page_size: u32,
        budget: u32,
    ) -> Self {
        Self {
            request: Request::new(Method::Get, path, credential)
                .query("limit", page_size.to_string()),
            policy: Policy::SDK,
            budget,
            at_budget: AtBudget::Refuse,
            pace: None,
        }
    }

    /// Adds a query parameter to every page's request (after `limit`, before `after`).
    pub fn query(mut self, key: &str, value: impl Into<String>) -> Self {
        self.request = self.request.query(key, value);
        self
    }

    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    pub fn at_budget(mut self, at_budget: AtBudget) -> Self {
        self.at_budget = at_budget;
        self
    }

    /// Waits by `pace` before every page.
    pub fn paced(mut self, pace: &'a Pace) -> Self {
        self.pace = Some(pace);
        self
    }

    /// Hands every page's items, in order, to `each` until it says [`Flow::Stop`] or the API has
    /// no more.
    pub fn each<T: DeserializeOwned + Listed>(
        &self,
        platform: &mut dyn Platform,
        mut each: impl FnMut(Vec<T>) -> Flow,
    ) -> Result<()> {
        let mut after: Option<String> = None;
        let until = platform.now().saturating_add(MAX_PAGING.as_secs());
        for page in 0..self.budget {
            if page > 0 && platform.now() >= until {
                return match self.at_budget {
                    AtBudget::Stop => Ok(()),
                    AtBudget::Refuse => Err(self.broken(&format!(
                        "the API still said has_more after {page} pages and {} s",
                        MAX_PAGING.as_secs()
                    ))),
                };
            }
            let mut request = self.request.clone();
            if let Some(a) = &after {
                request = request.query("after", a.as_str());
            }
            if let Some(pace) = self.pace {
                pace.wait(platform);
            }
            let page: Page<T> = fetch(platform, &request, &self.policy)?;
            let next = page
                .last_id
                .filter(|id| !id.is_empty())
                .or_else(|| page.data.last().map(|item| item.id().to_owned()));
            if each(page.data) == Flow::Stop || !page.has_more {
                return Ok(());
            }
            match next {
                // A cursor that does not move would ask for the same page forever.
                Some(n) if after.as_ref() != Some(&n) => after = Some(n),
                _ => return Err(self.broken("the API said has_more but gave no new cursor")),
            }
        }
        match self.at_budget {
            AtBudget::Stop => Ok(()),
            AtBudget::Refuse => Err(self.broken(&format!(
                "the API still said has_more after {} pages",
                self.budget
            ))),
        }
    }

    /// Every item of every page.
    pub fn collect<T: DeserializeOwned + Listed>(
        &self,
        platform: &mut dyn Platform,
    ) -> Result<Vec<T>> {
        let mut all = Vec::new();
        self.each(platform, |items| {
            all.extend(items);
            Flow::More
        })?;
        Ok(all)
    }

    /// The first page `pick` finds something in, and what it found; later pages are not read.
    pub fn find<T: DeserializeOwned + Listed, R>(
        &self,
        platform: &mut dyn Platform,
        mut pick: impl FnMut(Vec<T>) -> Option<R>,
    ) -> Result<Option<R>> {
        let mut found = None;
        self.each(platform, |items| {
            found = pick(items);
            if found.is_some() {
                Flow::Stop
            } else {
                Flow::More
            }
        })?;
        Ok(found)
    }

    fn broken(&self, what: &str) -> Error {
        Error::Failed(format!(
            "{} {}: {what}; is OPENAI_BASE_URL an OpenAI-compatible API?",
            self.request.method.as_str(),
            self.request.path
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Endless, Fake};

    #[derive(Debug, Deserialize)]
    struct Item {
        id: String,
    }

    listed_by_id!(Item);

    /// A server whose file list never ends and takes `latency` per page.
    fn dripping(latency: Duration) -> Fake {
        let mut fake = Fake::new();
        fake.files.push(serde_json::json!({"id": "file-1"}));
        fake.endless = Some(Endless::Fresh);
        fake.latency = latency;
        fake.page_size = 1;
        fake
    }

    #[test]
    fn a_list_that_drips_pages_is_bounded_by_time_too() {
        let mut fake = dripping(Duration::from_secs(20));
        let pager = Pager::get("/files", Credential::Project, 1000, 100);
        let e = pager.collect::<Item>(&mut fake).unwrap_err();
        assert_eq!(
            e.to_string(),
            "GET /files: the API still said has_more after 30 pages and 600 s; is \
             OPENAI_BASE_URL an OpenAI-compatible API?"
        );
        assert_eq!(fake.log.len(), 30);
    }

    #[test]
    fn a_list_that_only_feeds_progress_stops_quietly_at_the_time_bound() {
        let mut fake = dripping(Duration::from_secs(60));
        let pager = Pager::get("/files", Credential::Project, 1000, 100).at_budget(AtBudget::Stop);
        assert_eq!(pager.collect::<Item>(&mut fake).unwrap().len(), 10);
        assert_eq!(fake.log.len(), 10);
    }
}
