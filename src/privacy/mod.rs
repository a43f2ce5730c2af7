//! Children's data under the district's control: data-sharing agreements with vendors (which
//! student data elements a vendor's clients may see, for which purpose, schools and term). The
//! rules they impose on every read and write live in the policy (`auth::policy::sharing`); this
//! module records, lists and revokes them, every change audited.

pub mod agreements;
pub mod graphql;
pub mod purge;
pub mod restrictions;
pub mod retention;
