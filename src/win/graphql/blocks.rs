//! The GraphQL types of blocks and the sessions offered in them. Times are shown in the
//! school's time zone, with their offset.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use entity::{win_block, win_session};

use super::{
    Attendance, PlacementSource, PlacementStatus, WinAssignment, WinChoiceReview, WinMode, WinPreference, count, wl,
};
use crate::{
    auth::{People, Scope},
    competencies::graphql::Competency,
    graphql::{
        context::{db, gql, loaders, needs, principal},
        relay::{Conn, Kind, PageArgs, connection, decode_kind, global_id, page_request, wants_total},
    },
    roster::{
        graphql::org_zone,
        graphql::{Educator, Learner, School},
        store::Tz,
    },
    win::store,
};

/// An instant in a zone, with its offset (in UTC at the ends of the calendar, where the
/// zone's local time would not exist).
pub(super) fn local(t: DateTime<Utc>, tz: Tz) -> DateTime<FixedOffset> {
    use chrono::Datelike;
    if (2..9999).contains(&t.year()) { t.with_timezone(&tz).fixed_offset() } else { t.fixed_offset() }
}

/// Filters for `WinBlock.placements`.
#[derive(InputObject, Default)]
pub struct WinPlacementsFilter {
    pub session_id: Option<ID>,
    pub source: Option<PlacementSource>,
    /// Only students with this attendance.
    pub attendance: Option<Attendance>,
    /// Only placements whose attendance is (true) or is not yet (false) recorded.
    pub attendance_recorded: Option<bool>,
    /// Only outdated placements (true) or standing ones (false).
    pub outdated: Option<bool>,
}

/// Filters for `WinBlock.preferences`.
#[derive(InputObject, Default)]
pub struct WinPreferencesFilter {
    pub session_id: Option<ID>,
    pub rank: Option<i32>,
}

/// Filters for `WinBlock.choiceReview`.
#[derive(InputObject, Default)]
pub struct WinChoiceReviewFilter {
    /// Only students with a teacher's decision (true) or without one (false).
    pub decided: Option<bool>,
    /// Only students who ranked this session.
    pub session_id: Option<ID>,
}

fn session_filter(id: Option<&ID>, field: &str) -> async_graphql::Result<Option<i64>> {
    Ok(id.map(|s| decode_kind(s, Kind::WinSession, field)).transpose()?)
}

/// A school's WIN block on one date.
pub struct WinBlock(pub win_block::Model);

#[Object]
impl WinBlock {
    pub async fn id(&self) -> ID {
        global_id(Kind::WinBlock, self.0.id)
    }
    /// The block's day at the school.
    async fn date(&self) -> NaiveDate {
        self.0.block_date
    }
    /// The school's IANA time zone, in which the block's times are shown.
    async fn time_zone(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(org_zone(ctx, self.0.org_id).await?.name().to_owned())
    }
    /// Students choose until then (in the school's time zone, with its offset); afterwards
    /// choices are locked.
    async fn choices_close_at(&self, ctx: &Context<'_>) -> async_graphql::Result<DateTime<FixedOffset>> {
        Ok(local(self.0.choices_close_at, org_zone(ctx, self.0.org_id).await?))
    }
    async fn choices_open(&self) -> bool {
        Utc::now() < self.0.choices_close_at
    }
    /// How many sessions a student may rank.
    async fn max_choices(&self) -> i32 {
        self.0.max_choices
    }
    /// When placement last ran (in the school's time zone); null before.
    async fn placed_at(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<DateTime<FixedOffset>>> {
        let Some(t) = self.0.placed_at else { return Ok(None) };
        Ok(Some(local(t, org_zone(ctx, self.0.org_id).await?)))
    }
    /// Whether the placement stands: not run, provisional (run while choices were open),
    /// final, or outdated (something changed since; run placement again).
    async fn placement_status(&self) -> PlacementStatus {
        match self.0.placed_at {
            None => PlacementStatus::NotRun,
            Some(_) if self.0.placement_outdated => PlacementStatus::Outdated,
            Some(t) if t < self.0.choices_close_at => PlacementStatus::Provisional,
            Some(_) => PlacementStatus::Final,
        }
    }
    async fn school(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<School>> {
        Ok(loaders(ctx)?.orgs.load_one(self.0.org_id).await?.map(School))
    }
    /// The sessions offered.
    async fn sessions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<WinSession>> {
        Ok(wl(ctx)?.sessions.load_one(self.0.id).await?.unwrap_or_default().into_iter().map(WinSession).collect())
    }
    /// Ranked choices of the students the caller may see, by student and rank. Needs
    /// `win.read`.
    #[graphql(guard = "needs(Scope::WinRead)")]
    async fn preferences(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<WinPreferencesFilter>,
    ) -> async_graphql::Result<Conn<WinPreference>> {
        let f = filter.unwrap_or_default();
        let session = session_filter(f.session_id.as_ref(), "filter.sessionId")?;
        let req = page_request(&PageArgs::new(first, after, last, before))?;
        let keep = |c: &entity::win_choice::Model| {
            session.is_none_or(|s| c.session_id == s) && f.rank.is_none_or(|r| c.rank == r)
        };
        let page = gql(store::choices::preferences(wl(ctx)?, principal(ctx)?, self.0.id, keep, req).await)?;
        Ok(connection(page, store::choices::preference_key, WinPreference))
    }
    /// For each student the caller may see who chose or was decided on (by student): their
    /// choices with the mastery gaps bearing on each (focus competencies below the mastered
    /// level), and the teacher's decision. What a teacher reviews before placement; a
    /// session's teacher sees every student who chose it. Needs `win.read`.
    #[graphql(guard = "needs(Scope::WinRead)")]
    async fn choice_review(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<WinChoiceReviewFilter>,
    ) -> async_graphql::Result<Conn<WinChoiceReview>> {
        let f = filter.unwrap_or_default();
        let session = session_filter(f.session_id.as_ref(), "filter.sessionId")?;
        let req = page_request(&PageArgs::new(first, after, last, before))?;
        let keep = |r: &store::review::ChoiceReview| {
            f.decided.is_none_or(|d| r.decision.is_some() == d)
                && session.is_none_or(|s| r.choices.iter().any(|c| c.session_id == s))
        };
        let page = gql(store::review::choice_review(db(ctx)?, wl(ctx)?, principal(ctx)?, self.0.id, req, keep).await)?;
        Ok(connection(page, |r| r.learner_id, WinChoiceReview::from))
    }
    /// Students the caller may see who have not ranked any session of the block yet (by
    /// id): who to remind before choices close. Needs `win.read`; for staff and tools.
    #[graphql(guard = "needs(Scope::WinRead)")]
    async fn not_chosen(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Learner>> {
        let req = page_request(&PageArgs::new(first, after, last, before))?;
        let page = gql(store::choices::not_chosen(db(ctx)?, principal(ctx)?, &self.0, req, wants_total(ctx)).await)?;
        Ok(connection(page, |u| u.id, Learner))
    }
    /// Where the students the caller may see are placed, by student. Needs `win.read`.
    #[graphql(guard = "needs(Scope::WinRead)")]
    async fn placements(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<WinPlacementsFilter>,
    ) -> async_graphql::Result<Conn<WinAssignment>> {
        let f = filter.unwrap_or_default();
        let session = session_filter(f.session_id.as_ref(), "filter.sessionId")?;
        let req = page_request(&PageArgs::new(first, after, last, before))?;
        let keep = |a: &entity::win_assignment::Model| {
            session.is_none_or(|s| a.session_id == s)
                && f.source.is_none_or(|s| store::PlacementSource::from(s) == a.source)
                && f.attendance.is_none_or(|x| a.attendance == Some(x.into()))
                && f.attendance_recorded.is_none_or(|r| a.attendance.is_some() == r)
                && f.outdated.is_none_or(|o| a.outdated == o)
        };
        let page = gql(store::attendance::block_placements(wl(ctx)?, principal(ctx)?, self.0.id, keep, req).await)?;
        Ok(connection(page, |a| a.learner_id, WinAssignment))
    }
}

/// Filters for `WinSession.placements`.
#[derive(InputObject, Default)]
pub struct WinSessionPlacementsFilter {
    pub attendance: Option<Attendance>,
    /// Only placements whose attendance is (true) or is not yet (false) recorded.
    pub attendance_recorded: Option<bool>,
}

/// A session a teacher offers in a WIN block.
pub struct WinSession(pub win_session::Model);

#[Object]
impl WinSession {
    pub async fn id(&self) -> ID {
        global_id(Kind::WinSession, self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    async fn mode(&self) -> WinMode {
        self.0.mode.into()
    }
    async fn room(&self) -> Option<&str> {
        self.0.room.as_deref()
    }
    async fn capacity(&self) -> i32 {
        self.0.capacity
    }
    /// Only invited students may choose it or be placed in it.
    async fn invite_only(&self) -> bool {
        self.0.invite_only
    }
    /// Whether the signed-in student may rank this session now: choices are open and the
    /// session is open to all or invites them. Null for anyone but a signed-in student.
    async fn can_choose(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<bool>> {
        let p = principal(ctx)?;
        let People::Only(me) = p.people else { return Ok(None) };
        let Some(b) = wl(ctx)?.block.load_one(self.0.block_id).await? else { return Ok(Some(false)) };
        if Utc::now() >= b.choices_close_at {
            return Ok(Some(false));
        }
        if !self.0.invite_only {
            return Ok(Some(true));
        }
        let invited = wl(ctx)?.invites.load_one(self.0.id).await?.unwrap_or_default();
        Ok(Some(invited.iter().any(|i| i.learner_id == me)))
    }
    async fn teacher(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Educator>> {
        let Some(t) = self.0.teacher_id else { return Ok(None) };
        Ok(loaders(ctx)?.users.load_one(t).await?.map(Educator))
    }
    /// The competencies the session works on.
    async fn focus_competencies(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Competency>> {
        let links = wl(ctx)?.focus.load_one(self.0.id).await?.unwrap_or_default();
        let comps =
            crate::progress::graphql::prl(ctx)?.competencies.load_many(links.iter().map(|l| l.competency_id)).await?;
        Ok(links.iter().filter_map(|l| comps.get(&l.competency_id).cloned()).map(Competency).collect())
    }
    /// Students placed in it (all of them, whoever asks).
    async fn seats_taken(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        Ok(count(gql(store::attendance::seats_taken(wl(ctx)?, self.0.id).await)?))
    }
    /// Placements in it of the students the caller may see (its teacher sees every student
    /// placed in it), by student. Needs `win.read`.
    #[graphql(guard = "needs(Scope::WinRead)")]
    async fn placements(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<WinSessionPlacementsFilter>,
    ) -> async_graphql::Result<Conn<WinAssignment>> {
        let f = filter.unwrap_or_default();
        let req = page_request(&PageArgs::new(first, after, last, before))?;
        let keep = |a: &entity::win_assignment::Model| {
            f.attendance.is_none_or(|x| a.attendance == Some(x.into()))
                && f.attendance_recorded.is_none_or(|r| a.attendance.is_some() == r)
        };
        let page = gql(store::attendance::session_placements(wl(ctx)?, principal(ctx)?, self.0.id, keep, req).await)?;
        Ok(connection(page, |a| a.learner_id, WinAssignment))
    }
    async fn block(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<WinBlock>> {
        Ok(wl(ctx)?.block.load_one(self.0.block_id).await?.map(WinBlock))
    }
}
