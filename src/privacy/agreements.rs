//! Recording, listing, revoking and binding data-sharing agreements. Every change is audited in
//! the same transaction (an `audit_events` row naming the agreement), whoever makes it: the CLI
//! (`system`), a district administrator or a district tool through GraphQL.

use chrono::NaiveDate;
use entity::{audit_event, data_agreement, oauth_client};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::Serialize;

use crate::{
    auth::{Principal, policy::sharing::Elements},
    db::begin_write,
    error::{AppError, AppResult},
};

/// What a district records when it signs an agreement.
#[derive(Clone, Debug)]
pub struct NewAgreement {
    pub vendor: String,
    pub purpose: String,
    /// School (or district) sourcedIds; empty: every school of the district.
    pub schools: Vec<String>,
    pub starts_on: NaiveDate,
    /// The last day it holds.
    pub ends_on: NaiveDate,
    pub signed_by: String,
    pub signed_on: NaiveDate,
    /// `Learner { sourcedId givenName } Mastery`.
    pub elements: String,
    pub school_official: bool,
}

/// An agreement as listed and printed by the CLI.
#[derive(Clone, Debug, Serialize)]
pub struct Agreement {
    pub agreement_id: String,
    pub vendor: String,
    pub purpose: String,
    pub schools: Vec<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub signed_by: String,
    pub signed_on: NaiveDate,
    pub elements: String,
    pub school_official: bool,
    /// `active`, `pending` (not started), `expired` or `revoked`, today (UTC).
    pub status: &'static str,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub created_by: String,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revoked_by: Option<String>,
    pub revoked_reason: Option<String>,
    /// The clients bound to it.
    pub clients: Vec<String>,
}

impl Agreement {
    fn from_model(m: data_agreement::Model, clients: Vec<String>) -> Self {
        let today = crate::db::now().date_naive();
        let status = match standing(&m.agreement_id, Some(m.starts_on), Some(m.ends_on), m.revoked_at, today) {
            Ok(()) => "active",
            Err(_) if m.revoked_at.is_some() => "revoked",
            Err(_) if today < m.starts_on => "pending",
            Err(_) => "expired",
        };
        Agreement {
            schools: m.schools.and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default(),
            agreement_id: m.agreement_id,
            vendor: m.vendor,
            purpose: m.purpose,
            starts_on: m.starts_on,
            ends_on: m.ends_on,
            signed_by: m.signed_by,
            signed_on: m.signed_on,
            elements: m.elements,
            school_official: m.school_official,
            status,
            created_at: m.created_at,
            created_by: m.created_by,
            revoked_at: m.revoked_at,
            revoked_by: m.revoked_by,
            revoked_reason: m.revoked_reason,
            clients,
        }
    }
}

/// Whether an agreement holds on `today`; `Err` says why not, in words a vendor's developer
/// can act on (the token endpoint's `invalid_client` description).
pub fn standing(
    id: &str,
    starts_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
    revoked_at: Option<chrono::DateTime<chrono::Utc>>,
    today: NaiveDate,
) -> Result<(), String> {
    if let Some(at) = revoked_at {
        return Err(format!(
            "the data-sharing agreement `{id}` this client is bound to was revoked on {}",
            at.date_naive()
        ));
    }
    if let Some(start) = starts_on
        && today < start
    {
        return Err(format!("the data-sharing agreement `{id}` this client is bound to starts on {start}"));
    }
    if let Some(end) = ends_on
        && today > end
    {
        return Err(format!("the data-sharing agreement `{id}` this client is bound to ended on {end}"));
    }
    Ok(())
}

fn required(field: &str, value: &str) -> AppResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::validation(field, "must not be empty"));
    }
    if v.chars().count() > 255 && field != "purpose" {
        return Err(AppError::validation(field, "must be at most 255 characters"));
    }
    Ok(v.to_owned())
}

/// Records an agreement. The elements must name student data types and fields the catalogue
/// knows, the schools must exist, and the term must not end before it starts.
pub async fn create(db: &DatabaseConnection, by: &Principal, new: NewAgreement) -> AppResult<Agreement> {
    let vendor = required("vendor", &new.vendor)?;
    let purpose = required("purpose", &new.purpose)?;
    let signed_by = required("signedBy", &new.signed_by)?;
    if purpose.chars().count() > 4000 {
        return Err(AppError::validation("purpose", "must be at most 4,000 characters"));
    }
    if new.ends_on < new.starts_on {
        return Err(AppError::validation("endsOn", "the agreement must not end before it starts"));
    }
    let elements = Elements::parse(&new.elements).map_err(|m| AppError::validation("elements", m))?;
    if elements == Elements::default() {
        return Err(AppError::validation("elements", "name at least one student data type"));
    }
    crate::auth::clients::orgs_exist(db, &new.schools).await.map_err(|e| match e {
        AppError::Validation { message, .. } => AppError::validation("schools", message),
        other => other,
    })?;
    let agreement_id = format!("dsa_{}", crate::auth::tokens::random_token(9)?);
    let (kind, actor) = by.actor_ref();
    let txn = begin_write(db).await?;
    let model = data_agreement::ActiveModel {
        agreement_id: Set(agreement_id.clone()),
        vendor: Set(vendor),
        purpose: Set(purpose),
        schools: Set((!new.schools.is_empty()).then(|| serde_json::json!(new.schools))),
        starts_on: Set(new.starts_on),
        ends_on: Set(new.ends_on),
        signed_by: Set(signed_by),
        signed_on: Set(new.signed_on),
        elements: Set(elements.to_text()),
        school_official: Set(new.school_official),
        created_at: Set(crate::db::now()),
        created_by: Set(actor),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit(&txn, by, kind, "createDataAgreement", &agreement_id).await?;
    txn.commit().await?;
    Ok(Agreement::from_model(model, vec![]))
}

/// Every agreement, newest first, with the clients bound to each.
pub async fn list(db: &impl ConnectionTrait) -> AppResult<Vec<Agreement>> {
    let rows = data_agreement::Entity::find().order_by_desc(data_agreement::Column::Id).all(db).await?;
    let bound: Vec<(String, Option<i64>)> = oauth_client::Entity::find()
        .filter(oauth_client::Column::AgreementId.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.client_id, c.agreement_id))
        .collect();
    Ok(rows
        .into_iter()
        .map(|m| {
            let clients = bound.iter().filter(|(_, a)| *a == Some(m.id)).map(|(c, _)| c.clone()).collect();
            Agreement::from_model(m, clients)
        })
        .collect())
}

/// One agreement by its public id.
pub async fn find(db: &impl ConnectionTrait, agreement_id: &str) -> AppResult<Option<Agreement>> {
    Ok(list(db).await?.into_iter().find(|a| a.agreement_id == agreement_id))
}

async fn model_of(db: &impl ConnectionTrait, agreement_id: &str) -> AppResult<data_agreement::Model> {
    data_agreement::Entity::find()
        .filter(data_agreement::Column::AgreementId.eq(agreement_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFoundAt {
            field: "agreementId".into(),
            message: format!("no data-sharing agreement `{agreement_id}`"),
        })
}

/// Revokes an agreement at once, with a reason. Its clients get no more tokens and the tokens
/// they hold stop working; returns their ids, for the caller to announce the change to every
/// replica.
pub async fn revoke(
    db: &DatabaseConnection,
    by: &Principal,
    agreement_id: &str,
    reason: &str,
) -> AppResult<Vec<String>> {
    let reason = required("reason", reason)?;
    let (kind, actor) = by.actor_ref();
    let txn = begin_write(db).await?;
    let m = model_of(&txn, agreement_id).await?;
    if m.revoked_at.is_some() {
        return Err(AppError::Conflict(format!("the data-sharing agreement `{agreement_id}` is already revoked")));
    }
    let id = m.id;
    let mut am: data_agreement::ActiveModel = m.into();
    am.revoked_at = Set(Some(crate::db::now()));
    am.revoked_by = Set(Some(actor));
    am.revoked_reason = Set(Some(reason));
    am.update(&txn).await?;
    audit(&txn, by, kind, "revokeDataAgreement", agreement_id).await?;
    let clients = oauth_client::Entity::find()
        .filter(oauth_client::Column::AgreementId.eq(id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| c.client_id)
        .collect();
    txn.commit().await?;
    Ok(clients)
}

/// Binds a vendor's client to an agreement (it stops being internal), or to none (`None`: it
/// then sees no student data). A revoked or ended agreement can't be bound.
pub async fn bind(
    db: &DatabaseConnection,
    by: &Principal,
    client_id: &str,
    agreement_id: Option<&str>,
) -> AppResult<()> {
    let (kind, _) = by.actor_ref();
    let txn = begin_write(db).await?;
    let agreement = match agreement_id {
        None => None,
        Some(a) => Some(id_for_binding(&txn, a, "agreementId").await?),
    };
    let updated = oauth_client::Entity::update_many()
        .col_expr(oauth_client::Column::AgreementId, sea_orm::sea_query::Expr::value(agreement))
        .col_expr(oauth_client::Column::Internal, sea_orm::sea_query::Expr::value(false))
        .filter(oauth_client::Column::ClientId.eq(client_id))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(AppError::NotFoundAt { field: "clientId".into(), message: format!("no client `{client_id}`") });
    }
    let fields = format!("dataAgreement oauthClient:{client_id}");
    audit_with(&txn, by, kind, "bindClientAgreement", &fields, agreement_id.unwrap_or_default()).await?;
    txn.commit().await?;
    Ok(())
}

/// Makes a client one of the district's own again (internal, bound to no agreement). Audited.
pub async fn make_internal(db: &DatabaseConnection, by: &Principal, client_id: &str) -> AppResult<()> {
    let (kind, _) = by.actor_ref();
    let txn = begin_write(db).await?;
    let updated = oauth_client::Entity::update_many()
        .col_expr(oauth_client::Column::AgreementId, sea_orm::sea_query::Expr::value(Option::<i64>::None))
        .col_expr(oauth_client::Column::Internal, sea_orm::sea_query::Expr::value(true))
        .filter(oauth_client::Column::ClientId.eq(client_id))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(AppError::NotFoundAt { field: "clientId".into(), message: format!("no client `{client_id}`") });
    }
    let fields = format!("internal oauthClient:{client_id}");
    audit_with(&txn, by, kind, "bindClientAgreement", &fields, "").await?;
    txn.commit().await?;
    Ok(())
}

/// The agreement's database id for a client being registered (which must hold today or later).
/// `field` names the input the id came from, for the error.
pub(crate) async fn id_for_binding(db: &impl ConnectionTrait, agreement_id: &str, field: &str) -> AppResult<i64> {
    let m = model_of(db, agreement_id).await?;
    let today = crate::db::now().date_naive();
    if m.revoked_at.is_some() || today > m.ends_on {
        return Err(AppError::validation(
            field,
            standing(agreement_id, None, Some(m.ends_on), m.revoked_at, today).err().unwrap_or_default(),
        ));
    }
    Ok(m.id)
}

/// The audit event of an agreement change, in its transaction.
async fn audit(
    txn: &impl ConnectionTrait,
    by: &Principal,
    kind: entity::ActorKind,
    operation: &str,
    agreement_id: &str,
) -> AppResult<()> {
    audit_with(txn, by, kind, operation, "dataAgreement", agreement_id).await
}

async fn audit_with(
    txn: &impl ConnectionTrait,
    by: &Principal,
    kind: entity::ActorKind,
    operation: &str,
    fields: &str,
    agreement_id: &str,
) -> AppResult<()> {
    let (_, actor_id) = by.actor_ref();
    audit_event::ActiveModel {
        occurred_at: Set(crate::db::now()),
        actor_kind: Set(kind),
        actor_id: Set(actor_id),
        client_id: Set(by.client_id().map(str::to_owned)),
        operation_type: Set("mutation".into()),
        operation_name: Set(Some(operation.to_owned())),
        fields: Set(fields.to_owned()),
        request_id: Set(None),
        agreement_id: Set(Some(agreement_id.to_owned()).filter(|a| !a.is_empty())),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}
