//! Enrollments: a user in a class with a role.

use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{Role, enrollment};
use sea_orm::Select;

use super::{Class, RecordStatus, RosterUser, people::roster_user};
use crate::{
    graphql::{
        context::{db, gql, loaders, principal},
        relay::{Conn, Kind, PageArgs, connection, global_id, page_request, wants_total},
    },
    roster::store,
};

/// A page of enrollments; the store reveals the students among them.
pub(super) async fn enrollment_page(
    ctx: &Context<'_>,
    q: Select<enrollment::Entity>,
    args: PageArgs,
) -> async_graphql::Result<Conn<Enrollment>> {
    let page = store::enrollment_page(db(ctx)?, principal(ctx)?, q, gql(page_request(&args))?, wants_total(ctx));
    Ok(connection(gql(page.await)?, |m| m.id, Enrollment))
}

/// Role of a user in a class.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum EnrollmentRole {
    Student,
    Teacher,
    Administrator,
}

/// A user in a class with a role.
pub struct Enrollment(pub enrollment::Model);

#[Object]
impl Enrollment {
    pub async fn id(&self) -> ID {
        global_id(Kind::Enrollment, self.0.id)
    }
    async fn sourced_id(&self) -> &str {
        &self.0.sourced_id
    }
    async fn status(&self) -> RecordStatus {
        self.0.status.into()
    }
    async fn date_last_modified(&self) -> DateTime<Utc> {
        self.0.date_last_modified
    }
    async fn role(&self) -> EnrollmentRole {
        match self.0.role {
            Role::Student => EnrollmentRole::Student,
            Role::Teacher => EnrollmentRole::Teacher,
            _ => EnrollmentRole::Administrator,
        }
    }
    /// Whether this is the user's primary enrollment of its kind (the lead teacher).
    async fn primary(&self) -> bool {
        self.0.is_primary
    }
    async fn begin_date(&self) -> Option<NaiveDate> {
        self.0.begin_date
    }
    async fn end_date(&self) -> Option<NaiveDate> {
        self.0.end_date
    }
    async fn class(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Class>> {
        Ok(loaders(ctx)?.classes.load_one(self.0.class_id).await?.map(Class))
    }
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<RosterUser>> {
        Ok(gql(store::enrollment_user(loaders(ctx)?, principal(ctx)?, self.0.user_id).await)?.map(roster_user))
    }
}
