//! Who is calling and what they may see: OAuth clients, access tokens, the request principal,
//! and the scope and org rules every resolver and store function applies.

pub mod cache;
pub mod clients;
pub mod grants;
pub mod oauth;
pub mod policy;
pub mod principal;
pub mod tokens;
pub mod upstream;

pub use principal::{Actor, OrgAccess, People, Principal, Scope};
