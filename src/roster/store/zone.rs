//! Time zones of districts and schools. Each may name an IANA zone; a school without one uses
//! its district's, and an org with neither uses UTC. Dates a school lives by (a WIN block's
//! day, a default deadline, whether an item is overdue) are computed in the school's zone.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
pub use chrono_tz::Tz;
use entity::org;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, TransactionSession, TransactionTrait};

use super::{Key, find_org};
use crate::{
    auth::{Principal, policy::roster as policy},
    error::{AppError, AppResult},
};

/// The zone of an org with neither its own nor a district's.
pub const FALLBACK_ZONE: Tz = Tz::UTC;

/// Parses an IANA zone name (`America/Chicago`), or a validation error on `field`.
pub fn parse_zone(field: &str, name: &str) -> AppResult<Tz> {
    name.trim().parse::<Tz>().map_err(|_| {
        AppError::validation(field, format!("`{name}` is not an IANA time zone name (e.g. `America/Chicago`)"))
    })
}

/// The zone an org lives by: its own, else its parent's (a school's district), else UTC.
/// Stored names were checked when written; one no longer known falls back the same way.
pub fn zone_from(org: &org::Model, parent: Option<&org::Model>) -> Tz {
    [Some(org), parent]
        .into_iter()
        .flatten()
        .find_map(|o| o.time_zone.as_deref().and_then(|z| z.parse::<Tz>().ok()))
        .unwrap_or(FALLBACK_ZONE)
}

/// The zone of the org with this id (see [`zone_from`]); UTC for an org that does not exist.
pub async fn zone_of(db: &impl ConnectionTrait, org_id: i64) -> AppResult<Tz> {
    let Some(o) = org::Entity::find_by_id(org_id).one(db).await? else { return Ok(FALLBACK_ZONE) };
    Ok(zone_with(&o, |id| org::Entity::find_by_id(id).one(db)).await?)
}

/// The zone of an org already loaded, its parent read through `parent` only when the org
/// names no zone of its own (a request's org loader, so a page of records costs one batch).
pub async fn zone_with<F, Fut, E>(o: &org::Model, parent: F) -> Result<Tz, E>
where
    F: FnOnce(i64) -> Fut,
    Fut: std::future::Future<Output = Result<Option<org::Model>, E>>,
{
    let parent = match (&o.time_zone, o.parent_id) {
        (None, Some(id)) => parent(id).await?,
        _ => None,
    };
    Ok(zone_from(o, parent.as_ref()))
}

/// Sets (or, with `None`, clears) the time zone of the district or school `sourced_id`. An org
/// the caller can't see is not found; one it may see but not change is forbidden (see
/// [`policy::may_set_time_zone`]); a name that is not an IANA zone is invalid on
/// `input.timeZone`. Returns the org as stored.
#[tracing::instrument(skip_all, fields(org = sourced_id))]
pub async fn set_time_zone(
    db: &impl TransactionTrait,
    p: &Principal,
    sourced_id: &str,
    zone: Option<&str>,
) -> AppResult<org::Model> {
    p.require(crate::auth::Scope::RosterWrite)?;
    let txn = crate::db::begin_write(db).await?;
    let o = find_org(&txn, p, Key::Sourced(sourced_id)).await?.ok_or_else(|| {
        AppError::not_found_at("input.orgSourcedId", format!("no district or school `{sourced_id}` among yours"))
    })?;
    policy::may_set_time_zone(p, &o)?;
    let zone = zone.map(|z| parse_zone("input.timeZone", z)).transpose()?;
    let stored = org::Entity::update(org::ActiveModel {
        id: Set(o.id),
        time_zone: Set(zone.map(|z| z.name().to_owned())),
        date_last_modified: Set(crate::db::now()),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    txn.commit().await?;
    Ok(stored)
}

/// Today's date in a zone.
pub fn today_in(tz: Tz) -> NaiveDate {
    Utc::now().with_timezone(&tz).date_naive()
}

/// A wall-clock time on a date in a zone, as an instant. A time skipped by a DST change
/// moves forward an hour; one that occurs twice is its first occurrence.
pub fn local_instant(tz: Tz, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    let naive = date.and_time(time);
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(naive + chrono::Duration::hours(1))).earliest())
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: i64, zone: Option<&str>, parent: Option<i64>) -> org::Model {
        org::Model {
            id,
            sourced_id: format!("o{id}"),
            status: entity::Status::Active,
            date_last_modified: Utc::now(),
            source_modified: None,
            org_type: entity::OrgType::School,
            name: "x".into(),
            identifier: None,
            parent_id: parent,
            time_zone: zone.map(Into::into),
        }
    }

    #[test]
    fn a_school_uses_its_own_zone_else_its_districts_else_utc() {
        let district = org(1, Some("America/Chicago"), None);
        assert_eq!(zone_from(&org(2, Some("America/Denver"), Some(1)), Some(&district)), Tz::America__Denver);
        assert_eq!(zone_from(&org(2, None, Some(1)), Some(&district)), Tz::America__Chicago);
        assert_eq!(zone_from(&org(2, None, Some(1)), Some(&org(1, None, None))), Tz::UTC);
        assert_eq!(zone_from(&org(2, Some("Mars/Olympus"), None), Some(&district)), Tz::America__Chicago);
    }

    #[test]
    fn zone_names_are_iana_names() {
        assert_eq!(parse_zone("z", " Pacific/Honolulu ").ok(), Some(Tz::Pacific__Honolulu));
        assert!(parse_zone("z", "EST5EDT-ish").is_err());
        assert!(parse_zone("z", "").is_err());
    }

    #[test]
    fn local_times_become_instants_across_dst() {
        let tz = Tz::America__Chicago;
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap_or_default();
        assert_eq!(
            local_instant(tz, d(2027, 1, 10), t(20)).map(|i| i.to_rfc3339()),
            Some("2027-01-11T02:00:00+00:00".into())
        );
        assert_eq!(
            local_instant(tz, d(2027, 7, 10), t(20)).map(|i| i.to_rfc3339()),
            Some("2027-07-11T01:00:00+00:00".into())
        );
        // 2 a.m. on 14 March 2027 does not exist in Chicago: 3 a.m. CDT is 08:00 UTC.
        assert_eq!(
            local_instant(tz, d(2027, 3, 14), t(2)).map(|i| i.to_rfc3339()),
            Some("2027-03-14T08:00:00+00:00".into())
        );
    }
}
