//! The audit trail in GraphQL, for district administrators (`admin` scope, district-wide).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::audit_event;

use super::store::{self, Filter};
use crate::{
    auth::{OrgAccess, Scope},
    error::AppError,
    graphql::{
        context::{db, gql, require},
        relay::{Conn, Kind, PageArgs, decode_kind, paginate},
    },
};

/// One request that read or wrote student records.
#[derive(SimpleObject, Clone)]
pub struct AuditEvent {
    pub occurred_at: DateTime<Utc>,
    /// `client`, `user` or `system`.
    pub actor_kind: String,
    /// The client id, or the signed-in user's sourcedId.
    pub actor_id: String,
    /// The OAuth client the request came through.
    pub client_id: Option<String>,
    /// `query` or `mutation`.
    pub operation_type: String,
    pub operation_name: Option<String>,
    /// The operation's root fields.
    pub fields: Vec<String>,
    pub request_id: Option<String>,
    /// sourcedIds of the students whose records the request touched (a purged student by the
    /// pseudonym their purge gave them, `purged-...`).
    pub learner_sourced_ids: Vec<String>,
    /// The data-sharing agreement the request was served under (a vendor's client), or the
    /// agreement an agreement change was about; null for the district's own clients and people.
    pub agreement_id: Option<String>,
    #[graphql(skip)]
    pub id: i64,
}

/// Which events to list.
#[derive(InputObject, Default)]
pub struct AuditEventFilter {
    /// Only events that touched this student (a `Learner` ID).
    pub learner_id: Option<ID>,
    /// Only events of this OAuth client.
    pub client_id: Option<String>,
    /// Only events served under (or changing) this data-sharing agreement.
    pub agreement_id: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

fn event(m: audit_event::Model) -> AuditEvent {
    AuditEvent {
        id: m.id,
        occurred_at: m.occurred_at,
        actor_kind: m.actor_kind.to_string(),
        actor_id: m.actor_id,
        client_id: m.client_id,
        operation_type: m.operation_type,
        operation_name: m.operation_name,
        fields: m.fields.split_whitespace().map(str::to_owned).collect(),
        request_id: m.request_id,
        learner_sourced_ids: vec![],
        agreement_id: m.agreement_id,
    }
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Who read or wrote which students' records, oldest first. Needs `admin` and
    /// district-wide access. Events are written moments after their request.
    #[graphql(complexity = "crate::graphql::relay::list_complexity(first, last, child_complexity)")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<AuditEventFilter>,
    ) -> async_graphql::Result<Conn<AuditEvent>> {
        let p = require(ctx, Scope::Admin)?;
        if p.orgs != OrgAccess::All {
            return Err(AppError::Forbidden("the audit trail needs district-wide access".into()).into());
        }
        let f = filter.unwrap_or_default();
        let learner =
            f.learner_id.as_deref().map(|id| decode_kind(id, Kind::Learner, "filter.learnerId")).transpose()?;
        let filter =
            Filter { learner, client_id: f.client_id, agreement_id: f.agreement_id, since: f.since, until: f.until };
        page(ctx, filter, PageArgs::new(first, after, last, before)).await
    }
}

/// A page of the events `filter` selects, with their students (for `auditEvents` and a
/// learner's `accessHistory`).
pub async fn page(ctx: &Context<'_>, filter: Filter, args: PageArgs) -> async_graphql::Result<Conn<AuditEvent>> {
    // Read what this replica has recorded so far, including the requests just before.
    ctx.data::<super::AuditLog>()?.flush().await;
    {
        let db = db(ctx)?;
        let mut conn =
            gql(paginate(ctx, db, store::events(&filter), audit_event::Column::Id, args, |m| m.id, event).await)?;
        let ids: Vec<i64> = conn.edges.iter().map(|e| e.node.id).collect();
        let learners = store::learners_of(db, &ids).await.map_err(AppError::from)?;
        let purged = store::pseudonyms_of(db, &ids).await.map_err(AppError::from)?;
        for edge in &mut conn.edges {
            edge.node.learner_sourced_ids =
                learners.iter().filter(|(e, _, _)| *e == edge.node.id).map(|(_, _, s)| s.clone()).collect();
            edge.node
                .learner_sourced_ids
                .extend(purged.iter().filter(|(e, _)| *e == edge.node.id).map(|(_, p)| p.clone()));
        }
        Ok(conn)
    }
}
