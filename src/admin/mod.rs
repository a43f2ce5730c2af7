//! District administration through GraphQL: OAuth client management (`admin` scope,
//! district-wide). The CLI offers the same operations.

pub mod graphql;
