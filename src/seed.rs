//! Seed data: the fictional demo district (`seed --demo`) and synthetic districts at scale
//! (`seed --scale N`). Generation is deterministic and every insert skips rows whose key
//! already exists, so running a seed twice changes nothing.

use entity::{OrgType, Role};
use std::{collections::HashMap, fmt};

use anyhow::Context;
use chrono::{NaiveDate, TimeZone, Utc};
use entity::{
    STATUS_ACTIVE, academic_session, class, course, enrollment, learner_profile, org, profile_revision, user, user_org,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect,
};
use serde_json::json;

/// Rows per multi-row INSERT: well under SQLite's and PostgreSQL's bound-parameter limits.
const CHUNK: usize = 400;
const SUBJECTS: [(&str, &str); 4] =
    [("MATH", "Mathematics"), ("ELA", "English Language Arts"), ("SCI", "Science"), ("SS", "Social Studies")];
const GIVEN: [&str; 40] = [
    "Ada", "Bea", "Cruz", "Dev", "Elif", "Femi", "Gus", "Hana", "Iker", "Jae", "Kofi", "Lena", "Mika", "Nico", "Oona",
    "Priya", "Quinn", "Rafa", "Sami", "Tove", "Uma", "Vik", "Wren", "Xio", "Yusuf", "Zara", "Amara", "Bodhi", "Cleo",
    "Dario", "Esme", "Finn", "Gia", "Hugo", "Ines", "Jonah", "Kira", "Luca", "Maya", "Noor",
];
const FAMILY: [&str; 30] = [
    "Abara",
    "Brightwater",
    "Castellanos",
    "Dunmore",
    "Eklund",
    "Fairweather",
    "Gallo",
    "Holloway",
    "Iwasaki",
    "Jovanovic",
    "Kowalczyk",
    "Lindqvist",
    "Mbeki",
    "Nakamura",
    "Okafor",
    "Petrossian",
    "Quintero",
    "Rasmussen",
    "Szabo",
    "Tanaka",
    "Underhill",
    "Varga",
    "Whitlock",
    "Xu",
    "Yilmaz",
    "Zamora",
    "Achebe",
    "Bergstrom",
    "Ciolek",
    "Delacroix",
];
const STRENGTHS: [&str; 8] = [
    "persistent problem solver",
    "strong reader",
    "explains ideas clearly",
    "creative writer",
    "careful with details",
    "helps classmates",
    "asks good questions",
    "quick with mental math",
];
const INTERESTS: [&str; 8] =
    ["robotics", "soccer", "drawing", "music", "animals", "space", "cooking", "video game design"];
const MODALITIES: [&str; 6] = ["VISUAL", "AUDITORY", "READING_WRITING", "HANDS_ON", "COLLABORATIVE", "INDEPENDENT"];
const PACES: [&str; 3] = ["ACCELERATED", "STEADY", "NEEDS_MORE_TIME"];

/// What a seed run wrote.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub district: String,
    pub schools: usize,
    pub students: usize,
    pub staff: usize,
    pub classes: usize,
    pub enrollments: usize,
    pub profiles: usize,
    pub seconds: f64,
}

impl fmt::Display for SeedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} schools, {} students, {} staff, {} classes, {} enrollments, {} profiles ({:.1}s)",
            self.district,
            self.schools,
            self.students,
            self.staff,
            self.classes,
            self.enrollments,
            self.profiles,
            self.seconds
        )
    }
}

/// The shape of a generated district.
struct Spec {
    prefix: &'static str,
    district_name: &'static str,
    schools: Vec<(String, [u8; 3])>,
    students_per_school: usize,
    seed: u64,
}

/// The fictional Riverbend Unified School District: six schools, 3,000 students.
pub async fn demo(db: &DatabaseConnection) -> anyhow::Result<SeedReport> {
    let schools = vec![
        ("Alder Creek Elementary".to_owned(), [3, 4, 5]),
        ("Birchwood Elementary".to_owned(), [3, 4, 5]),
        ("Cedar Hollow Middle School".to_owned(), [6, 7, 8]),
        ("Dogwood Middle School".to_owned(), [6, 7, 8]),
        ("Elmstone High School".to_owned(), [9, 10, 11]),
        ("Foxglove Academy".to_owned(), [9, 10, 11]),
    ];
    let report = generate(
        db,
        Spec {
            prefix: "rb",
            district_name: "Riverbend Unified School District",
            schools,
            students_per_school: 500,
            seed: 2015,
        },
    )
    .await?;
    demo_redesign(db).await.context("the demo redesign plans")?;
    demo_progress(db).await?;
    demo_win(db).await.context("the demo WIN block")?;
    Ok(report)
}

/// A WIN block at Cedar Hollow on Monday 11 January 2027: four sessions on the grade 6 math
/// framework, the first math section's students' choices, and a placement run. Written once,
/// in one transaction (the WIN writes compose into it): skipped when the block exists.
/// Choices are written as they were made before the deadline.
async fn demo_win(db: &DatabaseConnection) -> anyhow::Result<()> {
    use crate::win::store::{self as ws, BlockInput, SessionInput, WinMode};
    let p = crate::auth::Principal::system();
    let school = crate::roster::store::find_org(db, &p, crate::roster::store::Key::Sourced("rb-school-003"))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no Cedar Hollow"))?;
    let date = NaiveDate::from_ymd_opt(2027, 1, 11).ok_or_else(|| anyhow::anyhow!("bad date"))?;
    let existing = entity::win_block::Entity::find()
        .filter(entity::win_block::Column::OrgId.eq(school.id))
        .filter(entity::win_block::Column::BlockDate.eq(date))
        .one(db)
        .await?;
    if existing.is_some() {
        return Ok(());
    }
    let txn = crate::db::begin_write(db).await?;
    let block = ws::create_block(
        &txn,
        &p,
        BlockInput { school: "rb-school-003".into(), date, choices_close_at: None, max_choices: Some(3) },
    )
    .await?;
    let offer = |title: &str, mode, capacity, teacher: &str, focus: &[&str]| SessionInput {
        block: block.id,
        title: title.into(),
        subject: "Mathematics".into(),
        mode,
        room: Some(format!("Room {}", 100 + title.len())),
        capacity: Some(capacity),
        teacher: Some(teacher.into()),
        competencies: focus.iter().map(|c| (*c).to_owned()).collect(),
        invited: None,
    };
    let mut sessions = Vec::new();
    for s in [
        offer("Ratio tables, step by step", WinMode::SmallGroup, 6, "rb-t-003-06-math-0", &["rb-m6-rp-1"]),
        offer("Unit rates in the real world", WinMode::SmallGroup, 8, "rb-t-003-06-math-1", &["rb-m6-rp-2"]),
        offer("Math lab: practice at your pace", WinMode::Independent, 500, "rb-t-003-06-math-0", &[]),
        offer("One-on-one: ratio reasoning", WinMode::OneOnOne, 1, "rb-t-003-06-math-1", &["rb-m6-rp-3"]),
    ] {
        sessions.push(ws::create_session(&txn, &p, s).await?.id);
    }
    let learners: Vec<i64> = entity::enrollment::Entity::find()
        .select_only()
        .column(enrollment::Column::UserId)
        .filter(enrollment::Column::Role.eq(Role::Student))
        .filter(
            enrollment::Column::ClassId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(class::Column::Id)
                    .from(class::Entity)
                    .and_where(class::Column::SourcedId.eq("rb-c-003-06-math-s1"))
                    .to_owned(),
            ),
        )
        .into_tuple()
        .all(&txn)
        .await?;
    let chosen_at = Utc.with_ymd_and_hms(2027, 1, 8, 15, 0, 0).single().ok_or_else(|| anyhow::anyhow!("bad date"))?;
    let mut choices = Vec::new();
    for (n, l) in learners.iter().enumerate() {
        // Most want the ratio tables group first; every fifth student chose nothing.
        let order: &[usize] = match n % 5 {
            0 => &[],
            1 | 2 => &[0, 2],
            3 => &[1, 0, 2],
            _ => &[0, 1],
        };
        for (rank, k) in order.iter().enumerate() {
            choices.push(entity::win_choice::ActiveModel {
                block_id: Set(block.id),
                learner_id: Set(*l),
                session_id: Set(sessions[*k]),
                rank: Set(i32::try_from(rank).unwrap_or(0) + 1),
                chosen_by: Set("learnergraph".into()),
                chosen_at: Set(chosen_at),
                ..Default::default()
            });
        }
    }
    if !choices.is_empty() {
        entity::win_choice::Entity::insert_many(choices).exec(&txn).await?;
    }
    ws::run_placement(&txn, &p, block.id).await?;
    txn.commit().await?;
    Ok(())
}

/// Riverbend's grade 6 mathematics framework (the CASE package in `data/`, which
/// `learnergraph import case` also takes), a "Ratios and rates" template given to every student
/// of Cedar Hollow's first grade 6 math section, and a practice tool's results for those
/// students. Running it again changes nothing: the import updates in place, the template is
/// made once, assigning skips students who have their copy, and reposting a result under its
/// sourcedId is a no-op.
async fn demo_progress(db: &DatabaseConnection) -> anyhow::Result<()> {
    use crate::{
        competencies::{case, store as cs},
        playlists::store::{self as ps, Evidence as E, ItemInput, PlaylistInput},
        progress::store::{self as rs, ResultInput},
        sync::Bus,
    };
    let p = crate::auth::Principal::system();
    let bus = Bus::new();
    cs::import(db, &p, Some("rb-district"), case::parse(DEMO_CASE_PACKAGE)?).await.context("the demo framework")?;
    let class = "rb-c-003-06-math-s1";
    let title = "Ratios and rates";
    let existing = entity::playlist::Entity::find()
        .filter(entity::playlist::Column::IsTemplate.eq(true))
        .filter(entity::playlist::Column::Title.eq(title))
        .one(db)
        .await?;
    let target = |m, d| NaiveDate::from_ymd_opt(2026, m, d);
    let item = |title: &str, tool: Option<&str>, minutes, evidence, due, comps: &[&str]| ItemInput {
        title: title.into(),
        description: None,
        resource_url: tool.map(|t| format!("https://{}.example/lessons/{}", t.to_lowercase(), title.len())),
        tool: tool.map(Into::into),
        estimated_minutes: Some(minutes),
        evidence,
        target_date: due,
        competencies: comps.iter().map(|c| (*c).to_owned()).collect(),
    };
    let template = match existing {
        Some(t) => t.id,
        None => {
            let items = vec![
                item("What is a ratio?", Some("PracticeLab"), 30, E::Test, target(10, 2), &["rb-m6-rp-1"]),
                item(
                    "Unit rates at the grocery store",
                    Some("PracticeLab"),
                    40,
                    E::Test,
                    target(10, 16),
                    &["rb-m6-rp-2"],
                ),
                item("Design a scale model", None, 120, E::Project, target(11, 6), &["rb-m6-rp-3"]),
                item("Explain your model to the class", None, 15, E::Presentation, target(12, 18), &["rb-m6-rp-3"]),
            ];
            let input = PlaylistInput {
                learner: None,
                school: Some("rb-school-003".into()),
                class: Some(class.into()),
                term: None,
                subject: "Mathematics".into(),
                title: title.into(),
                items,
            };
            ps::create(db, &bus, &p, input).await.context("the demo playlist template")?.id
        }
    };
    ps::assign_template(db, &bus, &p, template, class).await.context("assigning the demo playlists")?;
    let learners: Vec<String> = entity::user::Entity::find()
        .filter(entity::user::Column::Role.eq(Role::Student))
        .filter(
            entity::user::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(enrollment::Column::UserId)
                    .from(enrollment::Entity)
                    .and_where(
                        enrollment::Column::ClassId.in_subquery(
                            sea_orm::sea_query::Query::select()
                                .column(class::Column::Id)
                                .from(class::Entity)
                                .and_where(class::Column::SourcedId.eq(class))
                                .to_owned(),
                        ),
                    )
                    .to_owned(),
            ),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.sourced_id)
        .collect();
    let mut rows = Vec::new();
    for (n, learner) in learners.iter().enumerate() {
        // Scores spread deterministically: some students mastered ratios, some are still on them.
        let scores = [(n * 7 % 11) as f64, (n * 5 % 11) as f64];
        for (k, (competency, day)) in [("rb-m6-rp-1", 1), ("rb-m6-rp-2", 15)].into_iter().enumerate() {
            rows.push(ResultInput {
                sourced_id: format!("demo-practicelab-{learner}-{k}"),
                learner: learner.clone(),
                item_id: None,
                competency: Some(competency.into()),
                score: Some(scores[k].min(10.0)),
                score_max: Some(10.0),
                mastery_level: None,
                evidence: E::Test,
                occurred_at: Utc
                    .with_ymd_and_hms(2026, 10, day, 15, 0, 0)
                    .single()
                    .ok_or_else(|| anyhow::anyhow!("bad date"))?,
                comment: None,
            });
        }
    }
    if !rows.is_empty() {
        let (_, errors) = rs::post(db, &bus, &p, rows).await.context("the demo results")?;
        if let Some((i, e)) = errors.first() {
            anyhow::bail!("demo result {i} was refused: {e}");
        }
    }
    Ok(())
}

/// The demo district's competency framework, as a CASE 1.0 package.
pub const DEMO_CASE_PACKAGE: &str = include_str!("../data/riverbend-math-6.case.json");

/// Riverbend's redesign: three cohorts, a school implementing its plan (goals, indicators,
/// milestones, grants), one planning, one scheduled to present, one declined. Written once:
/// skipped when the district has cohorts already.
async fn demo_redesign(db: &DatabaseConnection) -> anyhow::Result<()> {
    use crate::redesign::{
        money::Money,
        stages::Stage as S,
        store::{self as rd, CohortFields},
    };
    let p = crate::auth::Principal::system();
    let district = crate::roster::store::resolve_district(db, &p, Some("rb-district")).await?;
    let existing = entity::redesign_cohort::Entity::find()
        .filter(entity::redesign_cohort::Column::DistrictOrgId.eq(district))
        .count(db)
        .await?;
    if existing > 0 {
        return Ok(());
    }
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| anyhow::anyhow!("bad date"));
    for (year, target) in [(2025, 6), (2026, 7), (2027, 8)] {
        let f = CohortFields {
            year: Some(year),
            name: None,
            target_size: Some(target),
            application_opens_on: Some(date(year - 1, 9, 1)?),
            application_closes_on: Some(date(year, 1, 31)?),
        };
        rd::create_cohort(db, &p, Some("rb-district"), f).await?;
    }
    let to = |to| rd::StageMove {
        to,
        note: None,
        presentation_at: Utc.with_ymd_and_hms(2024, 11, 14, 16, 0, 0).single(),
        presentation_outcome: Some("Clear mission; the panel asked for a sharper plan for grades 7 and 8.".into()),
        decline_reasons: Some("The application did not yet show staff agreement; please reapply next year.".into()),
    };
    let path = [S::PresentationScheduled, S::Presented, S::Accepted, S::Planning, S::Implementing];
    let plans = [
        ("rb-school-003", 2025, &path[..]),
        ("rb-school-005", 2026, &path[..4]),
        ("rb-school-004", 2027, &path[..1]),
        ("rb-school-006", 2026, &[S::PresentationScheduled, S::Presented, S::Declined][..]),
    ];
    let mut cedar = None;
    for (school, year, moves) in plans {
        let application = "Our students want more say in how and when they learn; our staff voted to redesign.";
        let plan = rd::apply(db, &p, school, year, application, date(year - 1, 10, 1)?).await?;
        for stage in moves {
            rd::move_plan(db, &p, plan.id, to(*stage)).await?;
        }
        if school == "rb-school-003" {
            cedar = Some(plan.id);
        }
    }
    let Some(cedar) = cedar else { return Ok(()) };
    let content = rd::PlanContent {
        application: None,
        mission: Some("Every Cedar Hollow student leaves knowing how they learn best.".into()),
        vision: Some("Learning that fits each student: their pace, their path, their voice.".into()),
    };
    rd::update_content(db, &p, cedar, content).await?;
    let pillars: Vec<i64> =
        rd::pillars(db, &p, false).await?.into_iter().filter(|m| m.district_org_id == district).map(|m| m.id).collect();
    let goal = |title: &str, pillar_idx: &[usize]| rd::GoalFields {
        title: Some(title.into()),
        description: None,
        owner: Some("Principal Okafor".into()),
        pillar_ids: Some(pillar_idx.iter().filter_map(|i| pillars.get(*i).copied()).collect()),
    };
    let g1 = rd::create_goal(db, &p, cedar, goal("Every student keeps a living learner profile", &[0, 4])).await?;
    let g2 = rd::create_goal(db, &p, cedar, goal("Students move on when they show mastery", &[2, 1])).await?;
    let ind = |name: &str, baseline, target| rd::IndicatorFields {
        name: name.into(),
        unit: Some("%".into()),
        baseline,
        baseline_on: NaiveDate::from_ymd_opt(2025, 8, 15).unwrap_or_default(),
        target,
        target_on: NaiveDate::from_ymd_opt(2027, 6, 15).unwrap_or_default(),
    };
    let i1 = rd::add_indicator(db, &p, g1.id, ind("Students with a profile updated this term", 20.0, 95.0)).await?;
    rd::record_measurement(db, &p, i1.id, date(2026, 1, 20)?, 48.0, None).await?;
    rd::record_measurement(db, &p, i1.id, date(2026, 6, 10)?, 71.0, None).await?;
    let i2 = rd::add_indicator(db, &p, g2.id, ind("Math units completed at own pace", 5.0, 60.0)).await?;
    rd::record_measurement(db, &p, i2.id, date(2026, 6, 10)?, 9.0, Some("Scheduling got in the way".into())).await?;
    let milestone = |title: &str, due: NaiveDate, done: Option<NaiveDate>| rd::MilestoneFields {
        title: Some(title.into()),
        owner: Some("Ms. Delgado".into()),
        due_on: Some(due),
        completed_on: Some(done),
    };
    rd::add_milestone(
        db,
        &p,
        g1.id,
        milestone("Profile template agreed", date(2025, 9, 30)?, Some(date(2025, 9, 26)?)),
    )
    .await?;
    rd::add_milestone(db, &p, g2.id, milestone("Competency map for grade 7 math", date(2026, 3, 1)?, None)).await?;
    let grant = |kind, fiscal_year, dollars: i64| rd::GrantFields {
        kind,
        fiscal_year,
        amount: Money(dollars * 100),
        awarded_on: NaiveDate::from_ymd_opt(fiscal_year - 1, 8, 1).unwrap_or_default(),
    };
    let planning = rd::award_grant(db, &p, cedar, grant(rd::GrantKind::Planning, 2025, 25_000)).await?;
    let implementation = rd::award_grant(db, &p, cedar, grant(rd::GrantKind::Implementation, 2026, 60_000)).await?;
    let pay = |fiscal_year, dollars: i64, on: NaiveDate| rd::DisbursementFields {
        fiscal_year,
        amount: Money(dollars * 100),
        disbursed_on: on,
        note: None,
    };
    rd::disburse(db, &p, planning.id, pay(2025, 25_000, date(2024, 9, 15)?)).await?;
    rd::disburse(db, &p, implementation.id, pay(2026, 35_000, date(2025, 9, 15)?)).await?;
    Ok(())
}

/// A synthetic district with about `students` students, in schools of 1,000.
pub async fn scale(db: &DatabaseConnection, students: u32) -> anyhow::Result<SeedReport> {
    let students = usize::try_from(students)?.max(1);
    let count = students.div_ceil(1000);
    synthetic(db, count, students.div_ceil(count)).await
}

/// A synthetic district of `schools` middle schools with `students_per_school` students each
/// (sourcedIds `sc-school-001`, `sc-s-000042`, ...). Tests build their fixtures with it.
pub async fn synthetic(
    db: &DatabaseConnection,
    schools: usize,
    students_per_school: usize,
) -> anyhow::Result<SeedReport> {
    let schools = (0..schools).map(|i| (format!("Scale School {:03}", i + 1), [6, 7, 8])).collect();
    generate(db, Spec { prefix: "sc", district_name: "Scale District", schools, students_per_school, seed: 42 }).await
}

async fn insert_all<A>(
    db: &impl sea_orm::ConnectionTrait,
    rows: Vec<A>,
    key: Vec<<A::Entity as EntityTrait>::Column>,
) -> Result<(), DbErr>
where
    A: ActiveModelTrait + Send + Clone,
{
    for chunk in rows.chunks(CHUNK) {
        <A::Entity as EntityTrait>::insert_many(chunk.to_vec())
            .on_conflict_do_nothing_on(key.clone())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// sourcedId -> id for rows of a table whose sourcedId starts with `prefix`.
async fn ids<E>(
    db: &impl sea_orm::ConnectionTrait,
    sourced: E::Column,
    id: E::Column,
    prefix: &str,
) -> Result<HashMap<String, i64>, DbErr>
where
    E: EntityTrait,
{
    let rows: Vec<(String, i64)> = E::find()
        .select_only()
        .column(sourced)
        .column(id)
        .filter(sourced.like(format!("{prefix}%")))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

async fn generate(db: &DatabaseConnection, spec: Spec) -> anyhow::Result<SeedReport> {
    let started = std::time::Instant::now();
    let mut rng = fastrand::Rng::with_seed(spec.seed);
    let now = crate::db::now();
    let p = spec.prefix;
    let txn = crate::db::begin_write(db).await?;

    // Orgs.
    let district_sid = format!("{p}-district");
    let mut orgs = vec![org::ActiveModel {
        sourced_id: Set(district_sid.clone()),
        status: Set(STATUS_ACTIVE.into()),
        date_last_modified: Set(now),
        org_type: Set(OrgType::District),
        name: Set(spec.district_name.into()),
        identifier: Set(Some(format!("{}-0001", p.to_uppercase()))),
        parent_id: Set(None),
        ..Default::default()
    }];
    insert_all(&txn, std::mem::take(&mut orgs), vec![org::Column::SourcedId]).await?;
    let district_id = ids::<org::Entity>(&txn, org::Column::SourcedId, org::Column::Id, &district_sid)
        .await?
        .get(&district_sid)
        .copied()
        .ok_or_else(|| anyhow::anyhow!("district row missing after insert"))?;
    for (i, (name, _)) in spec.schools.iter().enumerate() {
        orgs.push(org::ActiveModel {
            sourced_id: Set(format!("{p}-school-{:03}", i + 1)),
            status: Set(STATUS_ACTIVE.into()),
            date_last_modified: Set(now),
            org_type: Set(OrgType::School),
            name: Set(name.clone()),
            identifier: Set(Some(format!("{}-{:04}", p.to_uppercase(), i + 101))),
            parent_id: Set(Some(district_id)),
            ..Default::default()
        });
    }
    insert_all(&txn, orgs, vec![org::Column::SourcedId]).await?;
    crate::redesign::store::create_default_pillars(&txn, district_id).await?;
    let org_ids = ids::<org::Entity>(&txn, org::Column::SourcedId, org::Column::Id, &format!("{p}-school-")).await?;

    // Academic sessions: the school year and its two semesters, district-wide.
    let year_sid = format!("{p}-sy-2027");
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    let session = |sid: &str, title: &str, kind: &str, start, end, parent| academic_session::ActiveModel {
        sourced_id: Set(sid.to_owned()),
        status: Set(STATUS_ACTIVE.into()),
        date_last_modified: Set(now),
        org_id: Set(district_id),
        title: Set(title.to_owned()),
        session_type: Set(kind.to_owned()),
        start_date: Set(start),
        end_date: Set(end),
        school_year: Set(2027),
        parent_id: Set(parent),
        ..Default::default()
    };
    insert_all(
        &txn,
        vec![session(&year_sid, "2026-27", "schoolYear", date(2026, 8, 17), date(2027, 6, 11), None)],
        vec![academic_session::Column::SourcedId],
    )
    .await?;
    let year_id = ids::<academic_session::Entity>(
        &txn,
        academic_session::Column::SourcedId,
        academic_session::Column::Id,
        &year_sid,
    )
    .await?
    .get(&year_sid)
    .copied()
    .ok_or_else(|| anyhow::anyhow!("school year row missing after insert"))?;
    let terms = [
        (format!("{p}-term-2027-fall"), "Fall 2026", date(2026, 8, 17), date(2027, 1, 15)),
        (format!("{p}-term-2027-spring"), "Spring 2027", date(2027, 1, 19), date(2027, 6, 11)),
    ];
    insert_all(
        &txn,
        terms.iter().map(|(sid, title, s, e)| session(sid, title, "semester", *s, *e, Some(year_id))).collect(),
        vec![academic_session::Column::SourcedId],
    )
    .await?;
    let term_ids = ids::<academic_session::Entity>(
        &txn,
        academic_session::Column::SourcedId,
        academic_session::Column::Id,
        &format!("{p}-term-"),
    )
    .await?;
    let fall = term_ids.get(&terms[0].0).copied().ok_or_else(|| anyhow::anyhow!("term row missing"))?;

    // People, courses and classes per school.
    let mut users = Vec::new();
    let mut memberships: Vec<(String, String, Role, bool)> = Vec::new(); // user sid, org sid, role, primary
    let mut courses = Vec::new();
    let mut classes: Vec<(String, String, String, String, String)> = Vec::new(); // sid, school sid, course sid, title, subject
    let mut class_students: Vec<(String, String)> = Vec::new(); // class sid, student sid
    let mut class_teachers: Vec<(String, String)> = Vec::new();
    let mut students = Vec::new();
    let person =
        |sid: String, role: Role, given: &str, family: &str, grade: Option<String>, n: usize| user::ActiveModel {
            sourced_id: Set(sid),
            status: Set(STATUS_ACTIVE.into()),
            date_last_modified: Set(now),
            role: Set(role),
            given_name: Set(given.to_owned()),
            family_name: Set(family.to_owned()),
            preferred_name: Set(None),
            username: Set(Some(format!("{}.{}{n}", given.to_lowercase(), family.to_lowercase()))),
            email: Set(Some(format!("{}.{}{n}@{p}.example.org", given.to_lowercase(), family.to_lowercase()))),
            identifier: Set(Some(format!("{}{n:06}", p.to_uppercase()))),
            grades: Set(grade),
            enabled_user: Set(true),
            ..Default::default()
        };
    let admin_sid = format!("{p}-admin-district");
    users.push(person(admin_sid.clone(), Role::Administrator, "Morgan", "Reyes", None, 0));
    memberships.push((admin_sid, district_sid.clone(), Role::Administrator, true));
    let mut n = 1;
    for (si, (_, grades)) in spec.schools.iter().enumerate() {
        let school_sid = format!("{p}-school-{:03}", si + 1);
        let admin = format!("{p}-admin-{:03}", si + 1);
        users.push(person(
            admin.clone(),
            Role::Administrator,
            GIVEN[rng.usize(..GIVEN.len())],
            FAMILY[rng.usize(..FAMILY.len())],
            None,
            n,
        ));
        memberships.push((admin, school_sid.clone(), Role::Administrator, true));
        n += 1;
        let per_grade = spec.students_per_school.div_ceil(grades.len());
        for grade in grades {
            let grade_code = format!("{grade:02}");
            let sections = per_grade.div_ceil(25).max(1);
            // One teacher per subject and two sections.
            let mut teachers = Vec::new();
            for (subject, _) in SUBJECTS {
                for t in 0..sections.div_ceil(2) {
                    let sid = format!("{p}-t-{:03}-{grade_code}-{subject}-{t}", si + 1).to_lowercase();
                    users.push(person(
                        sid.clone(),
                        Role::Teacher,
                        GIVEN[rng.usize(..GIVEN.len())],
                        FAMILY[rng.usize(..FAMILY.len())],
                        None,
                        n,
                    ));
                    memberships.push((sid.clone(), school_sid.clone(), Role::Teacher, true));
                    teachers.push((subject, sid));
                    n += 1;
                }
            }
            for (subject, subject_name) in SUBJECTS {
                let course_sid = format!("{p}-c-{:03}-{grade_code}-{subject}", si + 1).to_lowercase();
                courses.push(course::ActiveModel {
                    sourced_id: Set(course_sid.clone()),
                    status: Set(STATUS_ACTIVE.into()),
                    date_last_modified: Set(now),
                    org_id: Set(org_ids[&school_sid]),
                    title: Set(format!("Grade {grade} {subject_name}")),
                    course_code: Set(Some(format!("{subject}-{grade_code}"))),
                    subject: Set(Some(subject_name.to_owned())),
                    grades: Set(Some(grade_code.clone())),
                    ..Default::default()
                });
                let subject_teachers: Vec<&String> =
                    teachers.iter().filter(|(s, _)| *s == subject).map(|(_, t)| t).collect();
                for section in 0..sections {
                    let class_sid = format!("{course_sid}-s{}", section + 1);
                    classes.push((
                        class_sid.clone(),
                        school_sid.clone(),
                        course_sid.clone(),
                        format!("Grade {grade} {subject_name} {}", section + 1),
                        subject_name.to_owned(),
                    ));
                    class_teachers
                        .push((class_sid, subject_teachers[section / 2 % subject_teachers.len().max(1)].clone()));
                }
            }
            for k in 0..per_grade {
                let sid = format!("{p}-s-{n:06}");
                let given = GIVEN[rng.usize(..GIVEN.len())];
                let family = FAMILY[rng.usize(..FAMILY.len())];
                users.push(person(sid.clone(), Role::Student, given, family, Some(grade_code.clone()), n));
                memberships.push((sid.clone(), school_sid.clone(), Role::Student, true));
                let section = k % sections + 1;
                for (subject, _) in SUBJECTS {
                    let class_sid = format!("{p}-c-{:03}-{grade_code}-{subject}-s{section}", si + 1).to_lowercase();
                    class_students.push((class_sid, sid.clone()));
                }
                students.push(sid);
                n += 1;
            }
        }
    }
    let staff = users.len() - students.len();
    insert_all(&txn, users, vec![user::Column::SourcedId]).await?;
    let user_ids = ids::<user::Entity>(&txn, user::Column::SourcedId, user::Column::Id, &format!("{p}-")).await?;
    let mut org_all = org_ids.clone();
    org_all.insert(district_sid.clone(), district_id);
    insert_all(
        &txn,
        memberships
            .iter()
            .map(|(u, o, role, primary)| user_org::ActiveModel {
                user_id: Set(user_ids[u]),
                org_id: Set(org_all[o]),
                role: Set((*role).to_owned()),
                is_primary: Set(*primary),
            })
            .collect(),
        vec![user_org::Column::UserId, user_org::Column::OrgId],
    )
    .await?;
    insert_all(&txn, courses, vec![course::Column::SourcedId]).await?;
    let course_ids =
        ids::<course::Entity>(&txn, course::Column::SourcedId, course::Column::Id, &format!("{p}-c-")).await?;
    let class_count = classes.len();
    insert_all(
        &txn,
        classes
            .iter()
            .enumerate()
            .map(|(i, (sid, school, course_sid, title, subject))| class::ActiveModel {
                sourced_id: Set(sid.clone()),
                status: Set(STATUS_ACTIVE.into()),
                date_last_modified: Set(now),
                org_id: Set(org_ids[school]),
                course_id: Set(course_ids[course_sid]),
                term_id: Set(fall),
                title: Set(title.clone()),
                class_code: Set(Some(sid.rsplit('-').take(3).collect::<Vec<_>>().join("-"))),
                class_type: Set("scheduled".into()),
                subject: Set(Some(subject.clone())),
                location: Set(Some(format!("Room {}", 100 + i % 60))),
                ..Default::default()
            })
            .collect(),
        vec![class::Column::SourcedId],
    )
    .await?;
    let class_ids = ids::<class::Entity>(&txn, class::Column::SourcedId, class::Column::Id, &format!("{p}-c-")).await?;
    let enrollment = |class_sid: &String, user_sid: &String, role: Role, primary: bool| enrollment::ActiveModel {
        sourced_id: Set(format!("{p}-e-{class_sid}-{user_sid}")),
        status: Set(STATUS_ACTIVE.into()),
        date_last_modified: Set(now),
        class_id: Set(class_ids[class_sid]),
        user_id: Set(user_ids[user_sid]),
        role: Set(role),
        is_primary: Set(primary),
        begin_date: Set(Some(terms[0].2)),
        end_date: Set(Some(terms[0].3)),
        ..Default::default()
    };
    let mut enrollments: Vec<_> = class_teachers.iter().map(|(c, u)| enrollment(c, u, Role::Teacher, true)).collect();
    enrollments.extend(class_students.iter().map(|(c, u)| enrollment(c, u, Role::Student, false)));
    let enrollment_count = enrollments.len();
    insert_all(&txn, enrollments, vec![enrollment::Column::SourcedId]).await?;

    // Profiles, each with the revision that created it.
    let created = Utc.with_ymd_and_hms(2026, 9, 1, 15, 0, 0).single().unwrap_or(now);
    let pick = |rng: &mut fastrand::Rng, from: &[&str], k: usize| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        while out.len() < k {
            let v = from[rng.usize(..from.len())].to_owned();
            if !out.contains(&v) {
                out.push(v);
            }
        }
        out
    };
    let mut profiles = Vec::with_capacity(students.len());
    let mut contents = HashMap::with_capacity(students.len());
    for (i, sid) in students.iter().enumerate() {
        let strengths = pick(&mut rng, &STRENGTHS, 2);
        let interests = pick(&mut rng, &INTERESTS, 2);
        let modalities = pick(&mut rng, &MODALITIES, 2);
        let pace = PACES[rng.usize(..PACES.len())];
        let goals = json!([{
            "id": format!("{sid}-goal-1"),
            "description": format!("Show mastery of the next {} unit", SUBJECTS[i % 4].1),
            "targetDate": "2026-12-18",
            "status": "IN_PROGRESS"
        }]);
        let accommodations: Vec<&str> =
            if i % 9 == 0 { vec!["extended time on assessments", "preferential seating"] } else { vec![] };
        let notes = (i % 9 == 0).then(|| "Check in at the start of each work block.".to_owned());
        // The first revision records everything the profile was created with, as
        // `createLearnerProfile` does.
        let mut changes = vec![
            json!({"field": "strengths", "before": [], "after": strengths}),
            json!({"field": "interests", "before": [], "after": interests}),
            json!({"field": "goals", "before": [], "after": goals}),
            json!({"field": "modalities", "before": [], "after": modalities}),
            json!({"field": "pace", "before": null, "after": pace}),
        ];
        if !accommodations.is_empty() {
            changes.push(json!({"field": "accommodations", "before": [], "after": accommodations}));
        }
        if let Some(n) = &notes {
            changes.push(json!({"field": "supportNotes", "before": null, "after": n}));
        }
        contents.insert(sid.clone(), serde_json::Value::Array(changes));
        profiles.push(learner_profile::ActiveModel {
            user_id: Set(user_ids[sid]),
            version: Set(1),
            strengths: Set(json!(strengths)),
            interests: Set(json!(interests)),
            goals: Set(goals),
            modalities: Set(json!(modalities)),
            pace: Set(Some(pace.to_owned())),
            accommodations: Set(json!(accommodations)),
            support_notes: Set(notes),
            created_at: Set(created),
            date_last_modified: Set(created),
            ..Default::default()
        });
    }
    let profile_count = profiles.len();
    insert_all(&txn, profiles, vec![learner_profile::Column::UserId]).await?;
    let student_ids: Vec<i64> = students.iter().map(|s| user_ids[s]).collect();
    let mut profile_of = HashMap::new();
    for chunk in student_ids.chunks(CHUNK) {
        let rows: Vec<(i64, i64)> = learner_profile::Entity::find()
            .select_only()
            .column(learner_profile::Column::UserId)
            .column(learner_profile::Column::Id)
            .filter(learner_profile::Column::UserId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(&txn)
            .await?;
        profile_of.extend(rows);
    }
    let revisions = students
        .iter()
        .map(|sid| profile_revision::ActiveModel {
            profile_id: Set(profile_of[&user_ids[sid]]),
            version: Set(1),
            actor_kind: Set(entity::ActorKind::System),
            actor_id: Set("learnergraph-seed".into()),
            actor_name: Set(None),
            changes: Set(contents.remove(sid).unwrap_or_default()),
            changed_at: Set(created),
            ..Default::default()
        })
        .collect();
    insert_all(&txn, revisions, vec![profile_revision::Column::ProfileId, profile_revision::Column::Version]).await?;
    txn.commit().await?;
    Ok(SeedReport {
        district: spec.district_name.to_owned(),
        schools: spec.schools.len(),
        students: students.len(),
        staff,
        classes: class_count,
        enrollments: enrollment_count,
        profiles: profile_count,
        seconds: started.elapsed().as_secs_f64(),
    })
}
