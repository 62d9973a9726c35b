//! Page-wise lists: `?page=1&per_page=50` in, `{items, page, per_page, total}` out.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

pub const MAX_PER_PAGE: u32 = 200;
const DEFAULT_PER_PAGE: u32 = 50;

#[derive(Debug, Clone, Copy, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Page number, from 1.
    #[validate(range(min = 1, max = 1_000_000, message = "must be 1 or more"))]
    pub page: Option<u32>,
    /// Items per page, 1 to 200 (default 50).
    #[validate(range(min = 1, max = 200, message = "must be 1 to 200"))]
    pub per_page: Option<u32>,
}

impl Page {
    fn number(self) -> u32 {
        self.page.unwrap_or(1).max(1)
    }

    fn size(self) -> u32 {
        self.per_page
            .unwrap_or(DEFAULT_PER_PAGE)
            .clamp(1, MAX_PER_PAGE)
    }

    pub fn limit(self) -> i64 {
        i64::from(self.size())
    }

    pub fn offset(self) -> i64 {
        i64::from(self.number() - 1) * self.limit()
    }

    pub fn wrap<T>(self, items: Vec<T>, total: i64) -> Paginated<T> {
        Paginated {
            items,
            page: self.number(),
            per_page: self.size(),
            total: u64::try_from(total).unwrap_or_default(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Paginated<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    /// How many items there are over all pages.
    pub total: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets() {
        let p = Page {
            page: Some(3),
            per_page: Some(20),
        };
        assert_eq!((p.limit(), p.offset()), (20, 40));
        let d = Page::default();
        assert_eq!((d.limit(), d.offset()), (50, 0));
        let w = d.wrap(vec![1, 2], 2);
        assert_eq!((w.page, w.per_page, w.total), (1, 50, 2));
    }
}
